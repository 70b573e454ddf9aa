"""The guarded and planned copy strategies, registered in ``content.generation.STRATEGIES``.

``content.generation.copy_generate_batch`` is the one path of the worker, template previews
and the copy-quality harness (``manage.py evaluate_copy --strategy NAME``); a template picks
its strategy with ``PromptTemplate.strategy`` (``CopyStrategy``). Registered here (imported
from ``ContentConfig.ready``):

- ``guarded``: free generation with decoding constrained by a ``Grounding`` per product: a
  number may only be one the facts hold (judged whole, as it is formed), and values of the
  shop's attribute vocabularies (``AttributeTerm``: materials, colours, certifications,
  features) only the ones the product holds (``ecomcms.inference.grounding``). A backend that
  cannot constrain decoding runs free, and the provenance says ``grounded: false``.
- ``planned``: no free text at all. The copy is planned from the facts and realized from
  reviewed sentence patterns with names and values copied verbatim; the model only ranks
  candidate wordings by likelihood (``content.planning``). Kinds it cannot plan (review
  summaries) fall back to ``guarded``.

Each returns one ``inference.Generation`` per request; ``Generation.grounded`` and
``Generation.details`` are saved on the draft (``strategy``, ``strategy_details``).
"""

from __future__ import annotations

import re
import time
from dataclasses import replace

from content.generation import register_strategy
from content.models import AttributeTerm, CopyKind, CopyStrategy
from content.planning import planner
from content.planning.facts import facts_of
from ecomcms import inference
from ecomcms.inference.numbers import numbers_in

# --- free and guarded -------------------------------------------------------------------------------

def _facts_text(product) -> str:
    attributes = " ".join(f"{k} {v}" for k, v in (product.attributes or {}).items())
    price = f"{product.price}" if getattr(product, "price", None) is not None else ""
    return " ".join([product.title or "", product.brand or "", product.category or "", attributes, price])


def _held(spellings: list[str], facts: str) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(s)}(?!\w)", facts, re.I) for s in spellings)


def vocabulary_terms() -> list[list[str]]:
    """The spellings of every active term of the shop's attribute vocabularies."""
    return [term.spellings for term in AttributeTerm.objects.filter(is_active=True)]


def grounding_for(product, terms: list[list[str]]) -> inference.Grounding:
    """Numbers the facts hold; vocabulary terms they do not hold (to block)."""
    facts = _facts_text(product)
    banned = {s for spellings in terms if not _held(spellings, facts) for s in spellings}
    return inference.Grounding(numbers=frozenset(numbers_in(facts)), banned_terms=frozenset(banned))


@register_strategy(CopyStrategy.GUARDED)
def guarded_generation(*, template, requests, prompts, options) -> list[inference.Generation]:
    """Free generation, but numbers and vocabulary terms only from the product's facts."""
    generator = inference.get_generator()
    if not getattr(generator, "supports_grounding", False):
        note = f"the text backend {generator.model_id} cannot constrain decoding"
        out = _generate_by_options(generator, prompts, options, None)
        return [_with_details(g, {"guard_requested": True, "note": note}) for g in out]
    terms = vocabulary_terms()
    groundings = [grounding_for(r.product, terms) for r in requests]
    out = _generate_by_options(generator, prompts, options, groundings)
    return [_with_details(g, {"guard_requested": True, "grounding": gr.as_dict()}) for g, gr in zip(out, groundings)]


def _generate_by_options(generator, prompts, options, groundings):
    results: list = [None] * len(prompts)
    by_options: dict = {}
    for index, opts in enumerate(options):  # same options share one model call
        by_options.setdefault(opts, []).append(index)
    for opts, indexes in by_options.items():
        batch = [prompts[i] for i in indexes]
        if groundings is None:
            out = generator.generate(batch, opts)
        else:
            out = generator.generate(batch, opts, groundings=[groundings[i] for i in indexes])
        for index, result in zip(indexes, out):
            results[index] = result
    return results


def _with_details(generation: inference.Generation, details: dict) -> inference.Generation:
    return replace(generation, details={**generation.details, **details})


# --- planned ----------------------------------------------------------------------------------------

SHORT_KINDS = (CopyKind.AD_HEADLINE, CopyKind.SEO_TITLE)
PLANNED_KINDS = (
    CopyKind.DESCRIPTION,
    CopyKind.AD_DESCRIPTION,
    CopyKind.SOCIAL_POST,
    CopyKind.META_DESCRIPTION,
) + SHORT_KINDS


def _scorer():
    generator = inference.get_generator()
    return generator if callable(getattr(generator, "score", None)) else None


@register_strategy(CopyStrategy.PLANNED)
def planned_copy(*, template, requests, prompts, options) -> list[inference.Generation]:
    """Copy planned from the facts and realized from patterns; the model ranks the wording."""
    if template.kind not in PLANNED_KINDS:
        out = guarded_generation(template=template, requests=requests, prompts=prompts, options=options)
        return [_with_details(g, {"fallback_from": CopyStrategy.PLANNED}) for g in out]
    scorer = _scorer()
    model_id = scorer.model_id if scorer is not None else "none"
    started = time.perf_counter()
    if template.kind in SHORT_KINDS:
        texts, counts = _short_texts(template, requests, scorer)
    else:
        texts, counts = _long_texts(template, requests, scorer)
    seconds = round(time.perf_counter() - started, 4)
    return [
        inference.Generation(
            text=text,
            model_id=model_id,
            tokens_in=0,
            tokens_out=0,
            seconds=seconds,
            batch_size=len(requests),
            grounded=True,
            details={"candidates": count, "scorer": model_id if scorer is not None else "none (first pattern)"},
        )
        for text, count in zip(texts, counts)
    ]


def _long_texts(template, requests, scorer) -> tuple[list[str], list[int]]:
    all_facts = [facts_of(r.product) for r in requests]
    plans = [planner.description_plan(f, max_chars=template.max_chars) for f in all_facts]
    contexts = ["Product description:\n"] * len(plans)
    texts = planner.realize(plans, contexts=contexts, scorer=scorer, max_chars=[template.max_chars] * len(plans),
                            names=[f.name for f in all_facts])
    return texts, [sum(len(s.candidates) for s in plan) for plan in plans]


def _short_texts(template, requests, scorer) -> tuple[list[str], list[int]]:
    context = "Search ad headline: " if template.kind == CopyKind.AD_HEADLINE else "Page title: "
    per_request = []
    for request in requests:
        facts = facts_of(request.product)
        options = planner.short_form_candidates(facts, kind=template.kind, max_chars=template.max_chars)
        per_request.append(options or [planner.shorten(facts.name, template.max_chars)])
    flat = [c for options in per_request for c in options]
    scores = scorer.score([context] * len(flat), [" " + c for c in flat]) if (scorer is not None and flat) else []
    texts, counts, position = [], [], 0
    for request, options in zip(requests, per_request):
        values = [planner.fluency(scores[position + i]) if scores else 0.0 for i in range(len(options))]
        position += len(options)
        ranked = [c for _, _, c in sorted(zip(values, [-i for i in range(len(options))], options), reverse=True)]
        texts.append(ranked[(request.variant - 1) % len(ranked)])  # variant 2 is the second best ...
        counts.append(len(options))
    return texts, counts
