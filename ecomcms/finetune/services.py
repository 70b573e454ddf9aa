"""Fine-tuning runs: request, train in the worker with progress, evaluate, gate, activate, roll back.

Training never runs in a web request: ``adapter_train_request`` stores a queued ``Adapter`` and
sends ``ecomcms.train_adapter`` to the ``training`` queue after the commit. The worker claims it
(compare-and-set ``queued -> training``), builds the purpose's dataset, trains on the training split
with the purpose's trainer (a LoRA adapter of the text model by default; the support intent
classifier brings its own) with a progress record after every step, evaluates the active model and
the new artifact on the held-out split (never trained on), and stores the gate's verdict. Only an
artifact whose gate passed can be activated; a roll-back returns to the previously active one (or
the base).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from ecomcms import errors, queueing
from ecomcms.conf import conf
from ecomcms.errors import require_permission
from ecomcms.finetune import lora, registry
from ecomcms.models import Adapter, AdapterActivation, AdapterStatus

logger = logging.getLogger(__name__)
PERMISSION = "ecomcms.change_adapter"


OPERATORS_ONLY = "only operators may train, activate or roll back adapters"


class FinetuneError(errors.ServiceError):
    """A fine-tuning request that cannot be carried out; the message says why."""


class NotAllowed(FinetuneError, errors.NotAllowed):
    """Not an operator (the ``change_adapter`` permission)."""


def adapters_dir() -> Path:
    return Path(conf.ECOMCMS_DATA_DIR) / "adapters"


def parameters_with_defaults(purpose: registry.Purpose, parameters: dict | None) -> dict:
    """The trainer's defaults (LoRA's for a LoRA purpose) overlaid with the given parameters."""
    parameters = dict(parameters or {})
    if purpose.is_lora:
        return lora.parameters_with_defaults(parameters) | parameters
    return dict(purpose.defaults) | parameters


def adapter_train_request(*, purpose: str, parameters: dict | None = None, actor=None, queue: bool = True) -> Adapter:
    """Queue a training run; ``parameters`` are the trainer's (``lora.DEFAULTS``) plus the purpose's own.

    ``queue=False``: store the queued version without sending the task, for a caller that runs it in its own
    process at once (``adapter_train_run``), so neither a training worker nor a broker outage can take it.

    ``parameters["activate_if_better"]``: activate the new version when it is ready and its gate passed
    (a scheduled retraining does; otherwise an operator activates it).
    """
    require_permission(actor, PERMISSION, error=NotAllowed, message=OPERATORS_ONLY)
    try:
        spec = registry.purpose_get(purpose)
    except registry.UnknownPurpose as exc:
        raise FinetuneError(str(exc)) from exc
    from ecomcms.tasks import train_adapter

    parameters = parameters_with_defaults(spec, parameters)
    for attempt in range(3):
        try:
            with transaction.atomic():
                version = (Adapter.objects.filter(purpose=purpose).aggregate(v=Max("version"))["v"] or 0) + 1
                adapter = Adapter.objects.create(
                    purpose=purpose, version=version, requested_by=actor,
                    parameters=parameters,
                )
                if queue:
                    queueing.send_after_commit(train_adapter, (adapter.pk,),
                                               not_sent=lambda pk=adapter.pk: _not_queued(pk))
            adapter.refresh_from_db()  # failed already when the broker did not take it (outside a transaction)
            return adapter
        except IntegrityError:  # two requests took the same version number
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


NOT_QUEUED = "not queued: the task queue (broker) did not answer; request a new version when it is back"


def _not_queued(adapter_id: int) -> None:
    """A run the broker never took would wait as queued forever: it fails with the reason instead."""
    Adapter.objects.filter(pk=adapter_id, status=AdapterStatus.QUEUED).update(
        status=AdapterStatus.FAILED, error=NOT_QUEUED, finished_at=timezone.now())


def _progress(adapter_id: int, **fields) -> None:
    Adapter.objects.filter(pk=adapter_id).update(**fields)


def adapter_train_run(adapter_id: int) -> Adapter | None:
    """Run a queued training (in the worker). Returns None when someone else has it or it is gone."""
    claimed = Adapter.objects.filter(pk=adapter_id, status=AdapterStatus.QUEUED).update(status=AdapterStatus.TRAINING)
    if not claimed:
        return None
    adapter = Adapter.objects.get(pk=adapter_id)
    started = time.perf_counter()
    output = adapters_dir() / f"{adapter.purpose}-v{adapter.version}"
    try:
        purpose = registry.purpose_get(adapter.purpose)
        dataset = purpose.dataset(adapter.parameters)
        if not dataset.train:
            raise FinetuneError(f"no training examples for {purpose.name}"
                                + (": approve some drafts or give a file of pairs" if purpose.is_lora else ""))
        _progress(adapter_id, data=dataset.counts | {"train": len(dataset.train), "held_out": len(dataset.held_out)},
                  progress={"step": 0, "steps": None, "losses": []})
        losses: list[float] = []

        def on_step(step: int, steps: int, loss: float) -> None:
            losses.append(round(loss, 4))
            _progress(adapter_id, progress={"step": step, "steps": steps, "losses": losses,
                                            "seconds": round(time.perf_counter() - started, 1)})

        if output.exists():
            shutil.rmtree(output)
        result = (purpose.trainer or lora_trainer)(dataset.train, output, adapter.parameters, on_step)
        _progress(adapter_id, status=AdapterStatus.EVALUATING, path=str(output), base_model=result.base_model,
                  progress={"step": result.steps, "steps": result.steps, "losses": result.losses,
                            "seconds": round(result.seconds, 1),
                            "seconds_per_100_examples": round(result.seconds_per_100, 1)})
        from ecomcms.finetune.selectors import adapter_active_path

        base = purpose.evaluate(dataset.held_out, adapter_active_path(adapter.purpose))  # the active model
        tuned = purpose.evaluate(dataset.held_out, str(output))
        passed, reasons = purpose.gate(base, tuned)
        _progress(adapter_id, status=AdapterStatus.READY, metrics={"base": base, "adapter": tuned,
                                                                 "gate": {"passed": passed, "reasons": reasons}},
                  seconds=time.perf_counter() - started, finished_at=timezone.now(), error="")
    except Exception as exc:  # a failed run is recorded with its reason, never retried blindly
        logger.exception("training adapter %s failed", adapter_id)
        _progress(adapter_id, status=AdapterStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000],
                  seconds=time.perf_counter() - started, finished_at=timezone.now())
    adapter = Adapter.objects.get(pk=adapter_id)
    if adapter.parameters.get("activate_if_better") and adapter.status == AdapterStatus.READY and adapter.gate_passed:
        adapter = adapter_activate(adapter=adapter, actor=None)  # asked for at request time; the gate still rules
    return adapter


def lora_trainer(train, output: Path, parameters: dict, on_step: registry.OnStep) -> registry.TrainingResult:
    """The default trainer: a LoRA adapter of the configured text model (``ECOMCMS_TEXT_MODEL``)."""
    folder, base_model = _base_model_folder()
    result = lora.train(folder, train, output, parameters, threads=conf.ECOMCMS_TORCH_THREADS, on_step=on_step)
    result.base_model = base_model
    return result


def _base_model_folder() -> tuple[Path, str]:
    """The in-process text model's folder (converted from GGUF once) and its id."""
    from ecomcms.inference.sources import text_model_source
    from ecomcms.inference.transformers_backend import ensure_converted

    source = text_model_source(conf.ECOMCMS_TEXT_MODEL)
    folder, _ = ensure_converted(source, conf.ECOMCMS_MODEL_CACHE)
    return folder, source.model_id


def adapter_activate(*, adapter: Adapter, actor) -> Adapter:
    """Make an adapter the one its purpose generates with; only one that passed its gate."""
    require_permission(actor, PERMISSION, error=NotAllowed, message=OPERATORS_ONLY)
    with transaction.atomic():
        adapter = Adapter.objects.select_for_update().get(pk=adapter.pk)
        if adapter.status != AdapterStatus.READY:
            raise FinetuneError(f"{adapter} is {adapter.get_status_display().lower()}, not ready")
        if not adapter.gate_passed:
            reasons = "; ".join(adapter.metrics.get("gate", {}).get("reasons", [])) or "not evaluated"
            raise FinetuneError(f"{adapter} is not better than the active model on the held-out split: {reasons}")
        if adapter.is_active:
            return adapter
        current = Adapter.objects.filter(purpose=adapter.purpose, is_active=True).first()
        Adapter.objects.filter(purpose=adapter.purpose, is_active=True).update(is_active=False)
        Adapter.objects.filter(pk=adapter.pk).update(is_active=True)
        AdapterActivation.objects.create(purpose=adapter.purpose, kind="activate", from_adapter=current,
                                         to_adapter=adapter, actor=actor)
    adapter.refresh_from_db()
    return adapter


def adapter_rollback(*, purpose: str, actor) -> Adapter | None:
    """Return to the adapter active before the current one (or to the base model); returns it."""
    require_permission(actor, PERMISSION, error=NotAllowed, message=OPERATORS_ONLY)
    with transaction.atomic():
        current = Adapter.objects.select_for_update().filter(purpose=purpose, is_active=True).first()
        if current is None:
            raise FinetuneError(f"{purpose} generates with the base model already")
        last = AdapterActivation.objects.filter(purpose=purpose, kind="activate", to_adapter=current).first()
        previous = last.from_adapter if last else None
        Adapter.objects.filter(pk=current.pk).update(is_active=False)
        if previous is not None:
            Adapter.objects.filter(pk=previous.pk).update(is_active=True)
        AdapterActivation.objects.create(purpose=purpose, kind="rollback", from_adapter=current, to_adapter=previous,
                                         actor=actor)
    return previous
