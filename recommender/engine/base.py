"""The interface every recommender implements, and ranking helpers.

A recommender is fitted on training :class:`~.data.Events` and then scores
users in batches: ``score(users)`` returns a dense ``(len(users), n_items)``
array where higher is better and ``-inf`` marks items it must never show
(not in the catalog). Dense batch scoring keeps evaluation a handful of numpy
operations; a web request scores a batch of one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Self

import numpy as np

from .data import Events

Reason = tuple[str, str | None]
"""Why an item is shown: (kind, anchor), e.g. ("bought_before", "85123A"),
("bought_with", "22423"), ("similar_to", "47566"), ("popular", "candles") or
("popular", None) when no category is known."""


@dataclass(frozen=True)
class Recommendation:
    """One recommended item with its score and the reason to show it."""

    item: int  # item index
    item_id: str  # the shop's StockCode
    score: float
    reason: Reason


class Recommender(ABC):
    """Fit on past events, then score, rank and explain items for users."""

    name: str = "recommender"
    train: Events  # set by fit()

    @abstractmethod
    def fit(self, train: Events) -> Self:
        """Learn from ``train``; returns self so calls chain."""

    @abstractmethod
    def score(self, users: np.ndarray) -> np.ndarray:
        """Scores shaped ``(len(users), n_items)``; ``-inf`` = never recommend.

        A user index of :data:`~.data.ANONYMOUS` (or one without training
        history) is a new visitor and gets the model's cold-start scores.
        """

    @abstractmethod
    def reason(self, user: int, item: int) -> Reason:
        """Why ``item`` is recommended to ``user`` (the strongest evidence)."""

    def recommend(self, users: np.ndarray, k: int) -> np.ndarray:
        """Top-``k`` item indices per user, best first, padded with -1."""
        return top_k(self.score(np.asarray(users)), k)

    def recommend_with_reasons(self, user: int, k: int) -> list[Recommendation]:
        """Top-``k`` for one user, each item carrying its score and reason."""
        scores = self.score(np.array([user]))[0]
        return [
            Recommendation(
                item=int(item),
                item_id=str(self.train.item_ids[item]),
                score=float(scores[item]),
                reason=self.reason(user, int(item)),
            )
            for item in top_k(scores[None, :], k)[0]
            if item >= 0
        ]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best finite scores per row, ties to the lower index.

    Exact and deterministic (a tie never depends on partition order) yet
    vectorised: only rows where items tie with the k-th best score across the
    cut are re-ranked one by one. Rows with fewer than ``k`` finite scores are
    padded with -1.
    """
    n_rows, n_items = scores.shape
    width = min(k, n_items)
    result = np.full((n_rows, k), -1, dtype=np.int64)
    if width == 0 or n_rows == 0:
        return result
    best = np.argpartition(scores, n_items - width, axis=1)[:, n_items - width :]
    best_scores = np.take_along_axis(scores, best, axis=1)
    order = np.lexsort((best, -best_scores), axis=1)
    best = np.take_along_axis(best, order, axis=1)
    best_scores = np.take_along_axis(best_scores, order, axis=1)
    result[:, :width] = np.where(np.isfinite(best_scores), best, -1)

    kth = best_scores[:, -1]
    straddling = np.isfinite(kth) & ((scores >= kth[:, None]).sum(axis=1) > width)
    for row in np.flatnonzero(straddling):
        tied = np.flatnonzero(scores[row] >= kth[row])
        result[row, :width] = tied[np.lexsort((tied, -scores[row, tied]))][:width]
    return result


def normalise_rows(scores: np.ndarray) -> np.ndarray:
    """Divide each row by its largest absolute value, so rows peak at 1.

    Component scores live on unrelated scales (decayed counts, cosines, ALS
    dot products); per-user scaling lets one weight mean the same thing for a
    customer with 3 purchases and one with 3,000.
    """
    peak = np.abs(scores).max(axis=1, keepdims=True) if scores.size else scores
    return scores / np.where(peak > 0, peak, 1.0)


def catalog_mask(train: Events) -> np.ndarray:
    """Boolean per item: bought at least once in training, so it can be shown."""
    mask = np.zeros(train.n_items, dtype=bool)
    mask[train.item] = True
    return mask
