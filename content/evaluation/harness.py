"""Generate drafts for products through the worker's own path and score them.

``copy_evaluate()`` builds an unsaved ``Draft`` per product (with the unsaved product and the
template), sends them in batches of the worker's size through ``services.drafts_compose`` (the
function the worker's ``_generate_group`` calls: prompt, batched generation with the strategy,
post-processing, checks), and scores each text:

- unsupported claims, by ``claims`` (independent of the checks), against the facts the model
  was given (the ``<product>`` block of its prompt) and the product's price and currency;
- for each unsupported claim, whether a failed check points at it: a finding's span overlaps
  the claim, or the check's message quotes the claim's words;
- length for the kind, completeness, empty or repeated text, banned phrases;
- chrF and ROUGE-L against the people's copy, and distinct-2 over all texts;
- tokens, seconds, tokens per second, model id, adapter, template and strategy.

``publishable``: no unsupported claim, every check passed, within the length, complete.
Nothing is written to the database (the shop's banned phrases are passed in).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace

from content import generation, postprocess, prompts, services
from content.evaluation import claims as claim_extraction, metrics
from content.evaluation.sources import EvalProduct
from content.models import Draft
from ecomcms import inference

_FACTS_BLOCK = re.compile(r"<product>\n(?P<facts>.*?)\n</product>", re.DOTALL)


class EvaluationError(Exception):
    """The evaluation cannot run as asked; the message says why."""


@dataclass(frozen=True)
class Settings:
    """What is being measured: the kind, the template, the strategy, the adapter, the batch size."""

    kind: str
    template: object  # a PromptTemplate, saved or not
    template_label: str
    strategy: str
    adapter: str = "none"  # what the report says: "none" or "content.copy v3"
    batch_size: int = 8
    adapter_path: str = ""  # the adapter's folder ("" = the base model)
    banned: tuple[str, ...] = ()

    @property
    def max_chars(self) -> int | None:
        return getattr(self.template, "max_chars", None)


def _facts_text(prompt) -> str:
    match = _FACTS_BLOCK.search(prompt.user)
    return match["facts"] if match else prompt.user


def _reference(item: EvalProduct, kind: str) -> str:
    if kind in metrics.LINE_KINDS:
        return item.reference_title or item.reference
    return item.reference


def _flags(text: str, check_results: list[dict]) -> list[dict]:
    flags = []
    for result in check_results:
        if result.get("passed", True):
            continue
        spans = result.get("spans") or []
        for start, end in spans:
            flags.append({"type": result["name"], "words": text[start:end], "span": [start, end],
                          "message": result.get("message", "")})
        if not spans:
            flags.append({"type": result["name"], "words": "", "span": None, "message": result.get("message", "")})
    return flags


def _flagged(claim, flags: list[dict]) -> bool:
    """A failed check points at the claim: its span overlaps, or its message quotes the claim's words."""
    spans = [f["span"] for f in flags if f["span"]]
    if metrics.overlaps(claim.span, spans):
        return True
    words = claim.words.lower()
    return any(words and words in f["message"].lower() for f in flags)


def _generated(item: EvalProduct, composed, settings: Settings) -> dict:
    """What generation produced for one product: the text, the checks' findings, the provenance."""
    written = composed.written
    result = written.generation
    return {
        "id": item.id,
        "name": item.product.title,
        "price": str(item.product.price) if item.product.price is not None else None,
        "currency": item.product.currency,
        "facts": _facts_text(written.prompt),
        "reference": _reference(item, settings.kind),
        "text": written.text,
        "raw": result.text,
        "flags": _flags(written.text, composed.checks),
        "checks_failed": [r["name"] for r in composed.checks if not r.get("passed", True)],
        "checks_passed": all(r.get("passed", True) for r in composed.checks),
        "banned": metrics.banned_found(written.text, settings.banned),
        "model_id": result.model_id,
        "tokens_in": result.tokens_in,
        "tokens_out": result.tokens_out,
        "seconds": result.seconds / max(result.batch_size, 1),  # this text's share of its batch
        "finish_reason": result.finish_reason,
    }


def item_score(item: dict, *, kind: str, max_chars: int) -> dict:
    """The figures of one generated item (from ``_generated`` or a saved report): claims, length, overlap."""
    text, reference = item["text"], item["reference"]
    facts = claim_extraction.facts_prepare(item["facts"], price=item.get("price"), currency=item.get("currency"))
    all_claims = claim_extraction.claims_extract(text, facts)
    unsupported = [c for c in all_claims if not c.supported]
    claims = [c.as_dict() | {"flagged": _flagged(c, item["flags"])} for c in unsupported]
    untrimmed = postprocess.tidy(postprocess.sanitize(item["raw"]))
    cut = item.get("finish_reason") == "length" or len(untrimmed) > max_chars
    length_ok = metrics.length_ok(text, kind, max_chars)
    complete = metrics.is_complete(text, kind, cut=cut)
    return item | {
        "claims": claims,
        "supported_claims": len(all_claims) - len(unsupported),
        "chars": len(text.strip()),
        "length_ok": length_ok,
        "complete": complete,
        "empty": metrics.is_empty(text),
        "repeated": metrics.is_repeated(text),
        "publishable": not unsupported and item["checks_passed"] and length_ok and complete,
        "chrf": metrics.chrf(text, reference) if reference else None,
        "rouge_l": metrics.rouge_l(text, reference) if reference else None,
    }


def _value_ci(values: Sequence[float]) -> dict:
    ci = metrics.bootstrap_ci(values)
    return {"value": metrics.mean(values), "ci95": list(ci) if ci else None}


def _share(items: list[dict], key: str) -> float | None:
    return sum(1 for i in items if i[key]) / len(items) if items else None


def totals(items: list[dict], settings: Settings, *, wall_seconds: float, load_seconds: float) -> dict:
    """The figures over all items; the spread is a 95% bootstrap interval over products."""
    unsupported = [len(i["claims"]) for i in items]
    flagged = [sum(1 for c in i["claims"] if c["flagged"]) for i in items]
    by_type, flagged_by_type = Counter(), Counter()
    for item in items:
        for claim in item["claims"]:
            by_type[claim["type"]] += 1
            flagged_by_type[claim["type"]] += claim["flagged"]
    scored = [i for i in items if i["chrf"] is not None]
    flagged_ci = metrics.bootstrap_ratio_ci(flagged, unsupported)
    generation_seconds = sum(i["seconds"] for i in items)
    tokens_out = sum(i["tokens_out"] for i in items)
    checks_failed = Counter(name for i in items for name in i["checks_failed"])
    return {
        "drafts": len(items),
        "kind": settings.kind,
        "strategy": settings.strategy,
        "adapter": settings.adapter,
        "template": settings.template_label,
        "model_id": ", ".join(sorted({i["model_id"] for i in items})),
        "unsupported_claims_per_draft": _value_ci(unsupported),
        "unsupported_claims": sum(unsupported),
        "unsupported_by_type": dict(sorted(by_type.items())),
        "drafts_with_unsupported_claims": sum(1 for n in unsupported if n),
        "flagged_claims": sum(flagged),
        "flagged_by_type": {t: flagged_by_type[t] for t in sorted(by_type)},
        "flagged_share": {
            "value": sum(flagged) / sum(unsupported) if sum(unsupported) else None,
            "ci95": list(flagged_ci) if flagged_ci else None,
        },
        "supported_claims": sum(i["supported_claims"] for i in items),
        "checks_passed_share": _share(items, "checks_passed"),
        "checks_failed": dict(sorted(checks_failed.items())),
        "length_ok_share": _share(items, "length_ok"),
        "complete_share": _share(items, "complete"),
        "empty_share": _share(items, "empty"),
        "repeated_share": _share(items, "repeated"),
        "banned_share": sum(1 for i in items if i["banned"]) / len(items) if items else None,
        "banned_phrases_used": len(settings.banned),
        "publishable": sum(1 for i in items if i["publishable"]),
        "publishable_share": _value_ci([1.0 if i["publishable"] else 0.0 for i in items]),
        "references": len(scored),
        "chrf": _value_ci([i["chrf"] for i in scored]),
        "chrf_corpus": metrics.chrf_corpus([i["text"] for i in scored], [i["reference"] for i in scored])
        if scored
        else None,
        "rouge_l": _value_ci([i["rouge_l"] for i in scored]),
        "distinct_2": metrics.distinct_n([i["text"] for i in items], 2),
        "mean_chars": metrics.mean([i["chars"] for i in items]),
        "tokens_in": sum(i["tokens_in"] for i in items),
        "tokens_out": tokens_out,
        "generation_seconds": round(generation_seconds, 3),
        "seconds_per_draft": generation_seconds / len(items) if items else None,
        "tokens_per_second": tokens_out / generation_seconds if generation_seconds else None,
        "wall_seconds": round(wall_seconds, 3),
        "model_load_seconds": round(load_seconds, 3),
        "batch_size": settings.batch_size,
        "max_chars": settings.max_chars,
    }


def _draft(item: EvalProduct, settings: Settings) -> Draft:
    """An unsaved draft: what the worker would have claimed for this product."""
    return Draft(product=item.product, kind=settings.kind, variant=1, template=settings.template)


def copy_evaluate(products: Sequence[EvalProduct], settings: Settings,
                  progress: Callable[[int], None] | None = None,
                  on_items: Callable[[list[dict]], None] | None = None) -> dict:
    """Generate and score every product's draft; returns ``{"metrics": {...}, "items": [...]}``.

    Raises ``EvaluationError`` for a strategy nobody registered or a model that fails.
    """
    try:
        generation.strategy_get(settings.strategy)
    except generation.UnknownStrategy as exc:
        raise EvaluationError(str(exc)) from exc
    started = time.perf_counter()
    try:
        inference.get_generator()  # load before timing the drafts
    except inference.ModelError as exc:
        raise EvaluationError(f"the text model cannot be loaded: {exc}") from exc
    load_seconds = time.perf_counter() - started
    items: list[dict] = []
    begun = time.perf_counter()
    for start in range(0, len(products), settings.batch_size):
        batch = list(products[start:start + settings.batch_size])
        drafts = [_draft(item, settings) for item in batch]
        try:
            composed = services.drafts_compose(drafts, banned=list(settings.banned), strategy=settings.strategy,
                                               embed=False, adapter=settings.adapter_path)
        except inference.ModelError as exc:
            raise EvaluationError(f"generation failed: {exc}") from exc
        scored = [item_score(_generated(item, one, settings), kind=settings.kind, max_chars=settings.template.max_chars)
                  for item, one in zip(batch, composed)]
        items += scored
        if on_items:
            on_items(scored)
        if progress:
            progress(len(batch))
    wall = time.perf_counter() - begun
    return {"metrics": totals(items, settings, wall_seconds=wall, load_seconds=load_seconds), "items": items}


def settings_header(settings: Settings) -> dict:
    """The settings of a run, as the first line of its partial file."""
    return {"kind": settings.kind, "strategy": settings.strategy, "adapter": settings.adapter,
            "template": settings.template_label, "batch_size": settings.batch_size, "max_chars": settings.max_chars,
            "banned_phrases_used": len(settings.banned)}


def report_rescore(report: dict) -> dict:
    """Score a saved report again with today's claim extractor and metrics, without generating.

    The texts, the checks' findings and the provenance are kept as they were; claims, length,
    completeness, publishable and overlap are computed again. So a baseline measured before a
    change to the extractor stays comparable with a run after it.
    """
    old = report["metrics"]
    kind = old["kind"]
    if "drafts" not in old:  # the header of a partial file: the run's settings, no totals yet
        old = old | {"template": old.get("template", "?"), "adapter": old.get("adapter", "none")}
    max_chars = old.get("max_chars") or prompts.DEFAULT_TEMPLATES[kind]["max_chars"]
    template = SimpleNamespace(max_chars=max_chars)
    settings = Settings(kind=kind, template=template, template_label=old["template"], strategy=old["strategy"],
                        adapter=old["adapter"], batch_size=old.get("batch_size", 0),
                        banned=("?",) * old.get("banned_phrases_used", 0))
    items = [item_score(item, kind=kind, max_chars=max_chars) for item in report["items"]]
    fresh = totals(
        items, settings, wall_seconds=old.get("wall_seconds", 0.0), load_seconds=old.get("model_load_seconds", 0.0)
    )
    kept = {key: old[key] for key in ("products", "format", "limit", "seed", "generated_at") if key in old}
    return {"metrics": kept | fresh | {"rescored": True}, "items": items}
