"""Fine-tuning the copy model (purpose ``content.copy``): data, held-out evaluation, and the gate.

Training data: every approved or published draft (the text the editor approved, after the prompt
that made the draft) and, to bootstrap a shop with no history, imported pairs of product facts and
people's copy (``parameters["pairs"] = {"path": ..., "format": "amazon2020" | "csv"}``, read like
``evaluate_copy`` reads them). Items are split once by a seeded hash of their id: a share
``holdout`` (default 0.2) is held out and never trained on.

Evaluation: the copy-quality harness (``content.evaluation``) on the held-out items, free
generation with the active description template, with and without the adapter. Gate: fewer
unsupported claims per draft than the active model and a chrF that is not lower.
"""

from __future__ import annotations

from content import generation, prompts, services
from content.evaluation import harness, sources
from content.models import CopyKind, Draft, DraftStatus
from ecomcms.assign import stable_fraction
from ecomcms.conf import conf
from ecomcms.finetune import registry
from ecomcms.finetune.lora import Example

APPROVED = (DraftStatus.APPROVED, DraftStatus.PUBLISHED, DraftStatus.SUPERSEDED)
EVALUATED_KIND = CopyKind.DESCRIPTION


def _held_out(key: str, seed: int, share: float) -> bool:
    return stable_fraction(seed, key) < share


def copy_dataset(parameters: dict) -> registry.Dataset:
    seed, share = int(parameters.get("seed", 0)), float(parameters.get("holdout", 0.2))
    train, held_out, counts = [], [], {"approved_drafts": 0, "imported_pairs": 0}
    drafts = (Draft.objects.filter(status__in=APPROVED).exclude(kind=CopyKind.REVIEW_SUMMARY)
              .select_related("product", "template"))
    for draft in drafts:
        text = draft.text.strip()
        if not text:
            continue
        counts["approved_drafts"] += 1
        if _held_out(f"product:{draft.product_id}", seed, share):
            if draft.kind == EVALUATED_KIND:
                held_out.append(sources.EvalProduct(id=draft.product.sku, product=draft.product, reference=text))
            continue
        prompt = prompts.build_prompt(template=draft.template, product=draft.product)
        train.append(Example(prompt=prompt, target=text))
    pairs = parameters.get("pairs")
    if pairs:
        template = services.template_active(EVALUATED_KIND)
        for item in sources.products_read(pairs["path"], pairs.get("format", "amazon2020")):
            if not item.reference:
                continue
            counts["imported_pairs"] += 1
            if _held_out(f"pair:{item.id}", seed, share):
                held_out.append(item)
                continue
            target = item.reference[:template.max_chars].rsplit(". ", 1)[0].rstrip(".") + "."
            train.append(Example(prompt=prompts.build_prompt(template=template, product=item.product), target=target))
    limit = parameters.get("held_out_limit")
    if limit:
        held_out = held_out[:int(limit)]
    return registry.Dataset(train=train, held_out=held_out, counts=counts)


def copy_evaluate(held_out, adapter_path: str) -> dict:
    template = services.template_active(EVALUATED_KIND)
    run = harness.Settings(kind=EVALUATED_KIND, template=template, template_label=f"{template} (active)",
                           strategy="free", adapter=adapter_path.rsplit("/", 1)[-1] if adapter_path else "none",
                           adapter_path=adapter_path, batch_size=conf.ECOMCMS_GENERATION_BATCH_SIZE)
    metrics = harness.copy_evaluate(list(held_out), run)["metrics"]
    keep = ("drafts", "adapter", "unsupported_claims_per_draft", "unsupported_claims", "publishable_share", "chrf",
            "rouge_l", "distinct_2", "seconds_per_draft", "tokens_per_second", "model_id")
    return {key: metrics[key] for key in keep if key in metrics}


def copy_gate(base: dict, tuned: dict) -> tuple[bool, list[str]]:
    """Better on the held-out split: fewer unsupported claims per draft, and chrF not lower."""
    b = (base.get("unsupported_claims_per_draft") or {}).get("value")
    a = (tuned.get("unsupported_claims_per_draft") or {}).get("value")
    cb, ca = (base.get("chrf") or {}).get("value"), (tuned.get("chrf") or {}).get("value")
    if None in (a, b, ca, cb):
        return False, ["not evaluated on held-out copy with a reference"]
    reasons = []
    if not a < b:
        reasons.append(f"unsupported claims per draft {a:.2f} vs {b:.2f} for the active model: not fewer")
    if ca < cb:
        reasons.append(f"chrF {ca:.1f} vs {cb:.1f} for the active model: lower")
    if reasons:
        return False, reasons
    return True, [f"unsupported claims per draft {a:.2f} < {b:.2f}; chrF {ca:.1f} >= {cb:.1f}"]


registry.register(registry.Purpose(
    name=generation.COPY_PURPOSE, label="Product copy", dataset=copy_dataset, evaluate=copy_evaluate, gate=copy_gate,
    shown_metrics=(("unsupported claims per draft", "unsupported_claims_per_draft"), ("chrF", "chrf"),
                   ("ROUGE-L", "rouge_l"), ("publishable share", "publishable_share")),
))
