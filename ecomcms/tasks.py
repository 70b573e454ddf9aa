"""Runtime tasks: a direct door to the models, used by `prepare_models --worker` and the tests."""

from __future__ import annotations

from celery import shared_task

from ecomcms import inference
from ecomcms.conf import conf


@shared_task(name="ecomcms.generate_text", acks_late=True)
def generate_text(prompts: list[dict], options: dict | None = None) -> list[dict]:
    """Generate for ``[{"system": ..., "user": ...}, ...]``; returns text and provenance per prompt."""
    generator = inference.get_generator()
    results = generator.generate(
        [inference.ChatPrompt(system=p.get("system", ""), user=p["user"]) for p in prompts],
        inference.GenerationOptions.from_dict(options),
    )
    return [{"text": r.text, **r.provenance()} for r in results]


@shared_task(name="ecomcms.embed_texts", acks_late=True)
def embed_texts(texts: list[str]) -> dict:
    """Embed texts; returns the vectors as lists (for checks, not for bulk work)."""
    result = inference.get_embedder().embed(texts)
    return {"model_id": result.model_id, "vectors": result.vectors.tolist()}


@shared_task(name="ecomcms.train_adapter", acks_late=False, time_limit=conf.ECOMCMS_TRAINING_TIME_LIMIT,
             soft_time_limit=conf.ECOMCMS_TRAINING_TIME_LIMIT - 30)
def train_adapter(adapter_id: int) -> str | None:
    """Train, evaluate and gate one queued adapter (the ``training`` queue)."""
    from ecomcms.finetune import services

    adapter = services.adapter_train_run(adapter_id)
    return adapter.status if adapter else None
