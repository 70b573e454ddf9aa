"""Measure the review-support check's threshold on real reviews (docs/review-summaries.md).

A claim taken from one review of a product, in reported form ("they love the pockets"), should
match the product's other reviews (a positive) and should not match the reviews of another
product of the same class (a negative: same vocabulary, different item). For each threshold the
report gives the precision of "supported" (the share of accepted claims that came from the
product's own reviews, with equal numbers of both kinds) and the recall (the share of own claims
accepted). Labels are noisy both ways: a reviewer may say something no one else said (a positive
that no review supports), and "the fabric is soft" is true of many products (a negative that is
supported). Measured this way, all-MiniLM-L6-v2 cannot tell a product's own reviews from those of
another product of the same class (precision 0.53-0.58 at every threshold): reviews of two dresses
say the same things. So the threshold is chosen for a target precision of a different, cleaner
pair: claims a summarized review makes (the extractive summaries' own claims, frame stripped)
against claims from another product's reviews (``precision_in_reviews``, balanced classes).

Also reported: the share of the extractive summaries' own claims that pass (they must all pass),
and the share of claims from another class (a dress review against trousers) that are flagged.
"""

from __future__ import annotations

import csv
import gzip
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from content import summaries


@dataclass(frozen=True)
class DataReview:
    pk: int
    product: str
    klass: str
    rating: int
    title: str
    body: str
    helpful_count: int


def reviews_load(path: Path) -> dict[str, list[DataReview]]:
    """Reviews of the women's clothing file by product (``Clothing ID``)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    by_product: dict[str, list[DataReview]] = defaultdict(list)
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            try:
                rating = int(row["Rating"])
            except (TypeError, ValueError):
                continue
            by_product[row["Clothing ID"]].append(DataReview(
                index, row["Clothing ID"], row.get("Class Name") or "", rating, row.get("Title") or "",
                row.get("Review Text") or "", int(row.get("Positive Feedback Count") or 0)))
    return dict(by_product)


def _cosine_max(embed, claims: list[str], sources: list[str]) -> np.ndarray:
    if not claims or not sources:
        return np.zeros(len(claims), dtype=np.float32)
    vectors = embed(claims + sources)
    return (vectors[:len(claims)] @ vectors[len(claims):].T).max(axis=1)


def evaluate(by_product: dict[str, list[DataReview]], embed: Callable, *, products: int = 120, seed: int = 7,
             min_reviews: int = 20, claims_per_product: int = 3, thresholds=None) -> dict:
    """Scores of own-product and other-product claims, and precision/recall per threshold."""
    rng = random.Random(seed)
    cache: dict[str, np.ndarray] = {}

    def cached_embed(texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            for text, vector in zip(missing, np.asarray(embed(missing), dtype=np.float32)):
                cache[text] = vector
        return np.stack([cache[t] for t in texts])

    eligible = sorted(p for p, reviews in by_product.items() if len(reviews) >= min_reviews)
    by_class: dict[str, list[str]] = defaultdict(list)
    for product in eligible:
        by_class[by_product[product][0].klass].append(product)
    chosen = rng.sample(eligible, min(products, len(eligible)))
    own, other, far, extractive = [], [], [], []
    for product in chosen:
        reviews = list(by_product[product])
        rng.shuffle(reviews)
        held, rest = reviews[0], reviews[1:]
        sources = [s.text for s in summaries.review_sentences(summaries.reviews_sample(rest))]
        klass = held.klass
        peers = [p for p in by_class[klass] if p != product]
        strangers = [p for p in eligible if by_product[p][0].klass != klass]
        if not peers or not strangers:
            continue
        peer_sources = [
            s.text for s in summaries.review_sentences(summaries.reviews_sample(by_product[rng.choice(peers)]))
        ]
        far_sources = [
            s.text for s in summaries.review_sentences(summaries.reviews_sample(by_product[rng.choice(strangers)]))
        ]
        claims = [summaries.reported(s.text) for s in summaries.review_sentences([held])
                  if summaries.candidate(s.text)][:claims_per_product]
        own += _cosine_max(cached_embed, claims, sources).tolist()
        other += _cosine_max(cached_embed, claims, peer_sources).tolist()
        far += _cosine_max(cached_embed, claims, far_sources).tolist()
        summary = summaries.summarize(summaries.reviews_sample(rest), cached_embed, total=len(rest))
        cores = [summaries.claim_core(text) for _, _, text in summaries.claims(summary)]
        extractive += _cosine_max(cached_embed, cores, sources).tolist()
    own_a, other_a, far_a, extractive_a = (np.array(x, dtype=np.float32) for x in (own, other, far, extractive))
    rows = []
    for threshold in thresholds or [round(0.40 + 0.02 * i, 2) for i in range(21)]:
        accepted_own = int((own_a >= threshold).sum())
        accepted_other = int((other_a >= threshold).sum())
        accepted = accepted_own + accepted_other
        extractive_passed = float((extractive_a >= threshold).mean()) if len(extractive_a) else 0.0
        other_accepted = float((other_a >= threshold).mean()) if len(other_a) else 0.0
        rows.append({
            "threshold": threshold,
            # claims a summarized review makes (the extractive summaries' own) vs another product's claims, balanced
            "precision_in_reviews": (extractive_passed / (extractive_passed + other_accepted)
                                     if extractive_passed + other_accepted else 1.0),
            "precision": accepted_own / accepted if accepted else 1.0,
            "recall": accepted_own / len(own_a) if len(own_a) else 0.0,
            "other_flagged": float((other_a < threshold).mean()) if len(other_a) else 0.0,
            "other_class_flagged": float((far_a < threshold).mean()) if len(far_a) else 0.0,
            "extractive_passed": extractive_passed,
        })
    return {
        "products": len(chosen), "claims": len(own_a), "extractive_claims": len(extractive_a), "seed": seed,
        "own_median": float(np.median(own_a)) if len(own_a) else 0.0,
        "other_median": float(np.median(other_a)) if len(other_a) else 0.0,
        "rows": rows,
    }


def threshold_for_precision(rows: list[dict], target: float, key: str = "precision_in_reviews") -> dict | None:
    """The lowest threshold whose precision (``key``) reaches ``target``: the most recall at that precision."""
    for row in rows:
        if row[key] >= target:
            return row
    return None
