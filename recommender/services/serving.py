"""Serving recommendations from the active version's precomputed artifact (no training, no model)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from math import isfinite

import numpy as np
from django.utils import timezone

from content.models import Product
from recommender import artifacts, selectors
from recommender.models import ModelVersion, RuleAction, RuleContext, ShopSetting
from recommender.services._base import RecommenderError

logger = logging.getLogger(__name__)


MAX_RESULTS = 50
SESSION_POSITION_DECAY = 0.8  # the engine's SessionRecommender: the last click weighs 1, the one before 0.8 ...
FILL_POPULARITY_WEIGHT = 0.1  # sessions and similar items: popularity only fills in behind the context's signal
TOGETHER_SIMILAR_WEIGHT = 0.3  # bought together: similar items fill in when few orders link the product
TOGETHER_POPULARITY_WEIGHT = 0.05
FIRST_BATCH, LATER_BATCH = 100, 500  # candidates checked per eligibility query (SQLite: < 999 variables)


@dataclass(frozen=True)
class Reason:
    kind: str  # bought_before, bought_with, similar_to, customers_like_you, popular, featured
    text: str
    product: Product | None = None  # the anchor: "bought with <product>"
    category: str = ""


@dataclass(frozen=True)
class Recommendation:
    product: Product
    score: float
    reason: Reason


@dataclass(frozen=True)
class Recommendations:
    version: ModelVersion | None  # None: no version is active yet, and the list is empty
    items: list[Recommendation]


@dataclass(frozen=True)
class _Request:
    n: int
    exclude: tuple[str, ...]
    category: str | None
    per_category: int | None


def _request(n, exclude, category, per_category, setting: ShopSetting) -> _Request:
    if not 1 <= n <= MAX_RESULTS:
        raise RecommenderError(f"n must be 1 to {MAX_RESULTS}")
    if per_category is None:
        per_category = setting.max_per_category
    return _Request(n, tuple(ref for ref in exclude if ref), category or None, per_category or None)


def _version_and_artifact(version: ModelVersion | None, snapshot):
    version = version or selectors.serving_version(snapshot)
    if version is None:
        return None, None
    return version, artifacts.cached(version.artifact)


def recommend_for_customer(*, customer_id: str, n: int = 10, exclude=(), category: str | None = None,
                           per_category: int | None = None, version: ModelVersion | None = None) -> Recommendations:
    """The blend for a customer; purchases since the version was trained stand in for a customer it never saw,
    and a customer with no purchases at all gets popularity (the new-visitor path).

    When the shop excludes purchases, nothing the customer bought (net of cancellations) is shown.
    """
    snapshot = selectors.serving_snapshot()
    setting = selectors.serving_setting(snapshot)
    request = _request(n, exclude, category, per_category, setting)
    version, artifact = _version_and_artifact(version, snapshot)
    if artifact is None:
        return Recommendations(None, [])
    history = None
    if customer_id not in artifact.customer_index:
        history = {
            artifact.pk_index[pk]: float(count)
            for pk, count in selectors.customer_purchases(customer_id).items()
            if pk in artifact.pk_index
        }
    ranking = artifact.customer_ranking(customer_id, history)
    bought_filter = customer_id if setting.exclude_purchased else None
    return Recommendations(
        version, _serve(snapshot, artifact, ranking, RuleContext.CUSTOMER, request, not_bought_by=bought_filter)
    )


def recommend_for_session(*, session_id: str, n: int = 10, exclude=(), category: str | None = None,
                          per_category: int | None = None, version: ModelVersion | None = None) -> Recommendations:
    """Products like the session's recent views, carts and purchases (the last weighing most), popularity
    filling in; a session with no events gets popularity. The session's own products are not shown."""
    snapshot = selectors.serving_snapshot()
    request = _request(n, exclude, category, per_category, selectors.serving_setting(snapshot))
    version, artifact = _version_and_artifact(version, snapshot)
    if artifact is None:
        return Recommendations(None, [])
    recent = [artifact.pk_index[pk] for pk in selectors.session_products(session_id) if pk in artifact.pk_index]
    context = {item: SESSION_POSITION_DECAY ** rank for rank, item in enumerate(recent)}
    ranking = artifact.context_ranking(context, FILL_POPULARITY_WEIGHT)
    return Recommendations(version, _serve(snapshot, artifact, ranking, RuleContext.SESSION, request))


def recommend_similar(*, product: Product, n: int = 10, exclude=(), category: str | None = None,
                      per_category: int | None = None, version: ModelVersion | None = None) -> Recommendations:
    """Products bought by the same customers or described alike (content similarity, which also covers
    products nobody has bought yet); a product newer than the version gets what is popular in its category."""
    snapshot = selectors.serving_snapshot()
    request = _request(n, exclude, category, per_category, selectors.serving_setting(snapshot))
    version, artifact = _version_and_artifact(version, snapshot)
    if artifact is None:
        return Recommendations(None, [])
    item = artifact.pk_index.get(product.pk)
    ranking = (artifact.similar_ranking(item, FILL_POPULARITY_WEIGHT) if item is not None
               else artifact.popular_ranking(product.category))
    return Recommendations(version, _serve(snapshot, artifact, ranking, RuleContext.SIMILAR, request,
                                           never=(product.pk,)))


def recommend_bought_together(*, product: Product, n: int = 10, exclude=(), category: str | None = None,
                              per_category: int | None = None, version: ModelVersion | None = None) -> Recommendations:
    """Products on the same orders more often than chance (lift), then similar products, then popular ones."""
    snapshot = selectors.serving_snapshot()
    request = _request(n, exclude, category, per_category, selectors.serving_setting(snapshot))
    version, artifact = _version_and_artifact(version, snapshot)
    if artifact is None:
        return Recommendations(None, [])
    item = artifact.pk_index.get(product.pk)
    ranking = (artifact.together_ranking(item, TOGETHER_SIMILAR_WEIGHT, TOGETHER_POPULARITY_WEIGHT)
               if item is not None else artifact.popular_ranking(product.category))
    return Recommendations(version, _serve(snapshot, artifact, ranking, RuleContext.BOUGHT_TOGETHER, request,
                                           never=(product.pk,)))


def _serve(snapshot, artifact, ranking, context: str, request: _Request, *, not_bought_by: str | None = None,
           never: tuple[int, ...] = ()) -> list[Recommendation]:
    """The business rules, in order: candidates -> exclusions -> boost/bury -> pins -> per-category cap -> top N.

    Candidates are checked for eligibility (active, in stock, published copy, not
    excluded by the request, by a rule or by the bought filter) in batches, best
    first, until no unchecked candidate could still make the list.
    """
    rules = selectors.serving_rules(snapshot, context=context, category=request.category, now=timezone.now())
    excluded = {rule.product_id for rule in rules if rule.action == RuleAction.EXCLUDE} | set(never)
    pins: dict[int, int] = {}
    for rule in rules:
        if rule.action == RuleAction.PIN and rule.product_id not in excluded:
            pins.setdefault(rule.product_id, rule.position)
    adjust: Counter = Counter()
    for rule in rules:
        if rule.action in (RuleAction.BOOST, RuleAction.BURY):
            adjust[rule.product_id] += rule.weight if rule.action == RuleAction.BOOST else -rule.weight

    scores = ranking.scores.copy()
    for pk in excluded:
        if pk in artifact.pk_index:
            scores[artifact.pk_index[pk]] = -np.inf
    for ref in request.exclude:
        if ref in artifact.item_index:  # SKUs; slugs are excluded by the eligibility query
            scores[artifact.item_index[ref]] = -np.inf
    if request.category:
        scores[artifact.item_category != request.category] = -np.inf
    finite = np.flatnonzero(np.isfinite(scores))
    order = finite[np.lexsort((finite, -scores[finite]))]  # best first, ties to the lower index
    # Scores are scaled so the best candidate that may be shown scores 1; boosts and buries are in that unit.
    # Until one is found, the best candidate sets the scale (candidates are checked best first, so the first
    # eligible one found is the best eligible one).
    scale = float(scores[order[0]]) if order.size and scores[order[0]] > 0 else 1.0
    # The scores as Python floats (the same values): the candidate checks below read one at a time, and a
    # numpy scalar read and test cost several times a list's (a profile, docs/performance.md).
    values, pk_index = scores.tolist(), artifact.pk_index

    def final_score(pk: int) -> float:
        item = pk_index.get(pk)
        organic = values[item] / scale if item is not None and isfinite(values[item]) else 0.0
        return organic + adjust.get(pk, 0.0)

    # Pinned and boosted products are checked up front: a boost can lift an item from anywhere in the list.
    extra = set(pins) | {pk for pk, change in adjust.items()
                         if change > 0 and pk in pk_index and isfinite(values[pk_index[pk]])}

    def is_candidate(pk: int) -> bool:
        item = pk_index.get(pk)
        return item is not None and isfinite(values[item])

    eligible: dict[int, Product] = {}
    bought = set(selectors.customer_purchases(not_bought_by)) if not_bought_by else set()  # once, not per batch
    checked = 0
    while True:
        batch = order[checked : checked + (FIRST_BATCH if checked == 0 else LATER_BATCH)]
        checked += len(batch)
        pks = set(artifact.item_pk[batch].tolist()) | extra
        extra = set()
        if pks:
            eligible.update(selectors.serving_eligible(snapshot, pks, exclude=request.exclude,
                                                       category=request.category, bought=bought))
        best = max((values[pk_index[pk]] for pk in eligible if is_candidate(pk)), default=0.0)
        if best > 0:
            scale = best
        chosen = _arrange(eligible, pins, final_score, request, organic=is_candidate)
        if checked >= order.size:
            break
        if len(chosen) < request.n:
            continue
        # Full: done unless an unchecked candidate (none is boosted) could outscore a chosen one.
        organic_scores = [final_score(pk) for pk in chosen if pk not in pins]
        if not organic_scores or min(organic_scores) >= values[order[checked]] / scale:
            break
    return _with_reasons(snapshot, artifact, ranking, [eligible[pk] for pk in chosen], pins, final_score)


def _arrange(eligible: dict[int, Product], pins: dict[int, int], final_score, request: _Request, organic) -> list[int]:
    """Ranked eligible candidates, capped per category, with pins put at their positions; top N."""
    pinned = sorted((position, pk) for pk, position in pins.items() if pk in eligible)
    per_category = Counter(eligible[pk].category for _, pk in pinned)
    candidates = sorted(
        (pk for pk in eligible if pk not in pins and organic(pk)), key=lambda pk: (-final_score(pk), pk)
    )
    ranked = []
    for pk in candidates:
        category = eligible[pk].category
        if request.per_category and per_category[category] >= request.per_category:
            continue
        per_category[category] += 1
        ranked.append(pk)
        if len(ranked) >= request.n:
            break
    for position, pk in pinned:
        ranked.insert(min(position - 1, len(ranked)), pk)
    return ranked[: request.n]


def _with_reasons(snapshot, artifact, ranking, chosen: list[Product], pins: dict[int, int],
                  final_score) -> list[Recommendation]:
    """Each chosen product with its score and the reason to show it, naming the anchor product when it is active."""
    organic = [artifact.pk_index[p.pk] for p in chosen if p.pk not in pins]
    reasons = ranking.reasons(organic)
    anchor_pks = {int(artifact.item_pk[anchor]) for _, anchor, _ in reasons.values() if anchor is not None}
    anchors = selectors.serving_anchors(snapshot, anchor_pks) if anchor_pks else {}
    result = []
    for product in chosen:
        if product.pk in pins:
            reason = Reason("featured", "featured")
        else:
            kind, anchor, _ = reasons[artifact.pk_index[product.pk]]
            anchor_product = anchors.get(int(artifact.item_pk[anchor])) if anchor is not None else None
            reason = _reason(kind, anchor_product, product)
        result.append(Recommendation(product, round(final_score(product.pk), 6), reason))
    return result


def _reason(kind: str, anchor: Product | None, product: Product) -> Reason:
    if kind == "bought_before":
        return Reason(kind, "you bought this before", product)
    if kind == "customers_like_you":
        return Reason(kind, "customers like you bought this")
    if kind == "popular":
        text = f"popular in {product.category}" if product.category else "popular"
        return Reason(kind, text, category=product.category)
    if anchor is None:
        return Reason(
            kind, {"bought_with": "often bought together", "similar_to": "similar to your earlier choices"}[kind]
        )
    return Reason(kind, f"{kind.replace('_', ' ')} {anchor.title}", anchor)
