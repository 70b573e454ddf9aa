"""Top-k ranking metrics with binary relevance.

For one test customer, ``R`` is the set of distinct items they bought in the
test window and ``rec = (r_1, ..., r_k)`` is the ranked list shown to them;
``rel_j`` is 1 if ``r_j`` is in ``R`` and 0 otherwise. Each per-customer
value is averaged over all test customers (every customer weighs the same,
however much they bought). A list shorter than ``k`` counts its missing
slots as misses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def hits(recommended: np.ndarray, relevant: Sequence[np.ndarray]) -> np.ndarray:
    """``rel_j`` for every customer and rank: bool array shaped like ``recommended``.

    Padding slots (negative item indices) never hit.
    """
    n_items = 1 + max(
        int(recommended.max(initial=-1)),
        max((int(items.max(initial=-1)) for items in relevant), default=-1),
    )
    is_relevant = np.zeros((len(relevant), n_items + 1), dtype=bool)  # last column: padding
    for row, items in enumerate(relevant):
        is_relevant[row, items] = True
    columns = np.where(recommended >= 0, recommended, n_items)
    return is_relevant[np.arange(len(relevant))[:, None], columns]


def precision_at_k(hit: np.ndarray, k: int) -> np.ndarray:
    """P@k = |rec ∩ R| / k: the share of the k slots that were bought."""
    return hit[:, :k].sum(axis=1) / k


def recall_at_k(hit: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """R@k = |rec ∩ R| / |R|: the share of the bought items that were shown.

    Not capped at k, so a customer who bought 40 items can reach at most 10/40
    at k=10; that is the honest share of their basket we anticipated.
    """
    return hit[:, :k].sum(axis=1) / np.maximum(n_relevant, 1)


def ndcg_at_k(hit: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """NDCG@k = DCG / IDCG with DCG = sum_j rel_j / log2(j + 1) (j = 1..k).

    IDCG is the DCG of a perfect list, ``min(|R|, k)`` hits at the top, so a
    customer with more than k relevant items can still score 1.
    """
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hit[:, :k] * discounts).sum(axis=1)
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k) - 1]
    return np.where(n_relevant > 0, dcg / ideal, 0.0)


def average_precision_at_k(hit: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """AP@k = sum_j P@j * rel_j / min(|R|, k); MAP@k is its mean over customers.

    Dividing by ``min(|R|, k)`` rather than ``|R|`` makes a perfect list score
    1 even when the customer bought more than k items.
    """
    top = hit[:, :k]
    precision_at_j = np.cumsum(top, axis=1) / np.arange(1, k + 1)
    return (precision_at_j * top).sum(axis=1) / np.maximum(np.minimum(n_relevant, k), 1)


def catalog_coverage(recommended: np.ndarray, catalog: np.ndarray) -> float:
    """Share of the catalog that appears in at least one customer's top-k list.

    The catalog is every item that could be recommended (bought at least once
    in training); a model that shows everyone the same ten items scores
    ``10 / len(catalog)``.
    """
    shown = np.unique(recommended[recommended >= 0])
    return float(np.isin(catalog, shown).sum() / max(len(catalog), 1))


def evaluate_rankings(
    recommended: np.ndarray,
    relevant: Sequence[np.ndarray],
    catalog: np.ndarray,
    k: int,
) -> dict[str, float]:
    """All metrics @k for a ``(n_customers, >= k)`` array of ranked item indices."""
    top = recommended[:, :k]
    hit = hits(top, relevant)
    n_relevant = np.array([len(items) for items in relevant], dtype=np.int64)
    return {
        "precision": float(precision_at_k(hit, k).mean()),
        "recall": float(recall_at_k(hit, n_relevant, k).mean()),
        "ndcg": float(ndcg_at_k(hit, n_relevant, k).mean()),
        "map": float(average_precision_at_k(hit, n_relevant, k).mean()),
        "coverage": catalog_coverage(top, catalog),
    }
