"""Collaborative filtering through the ``implicit`` library: ALS and BM25 item-kNN.

Both train on a customer x item matrix of ``log(1 + w)`` where ``w`` sums the
customer's purchase occasions of the item (optionally time-decayed); the log
keeps a customer's staple item from drowning out everything else they buy.
"""

from __future__ import annotations

import warnings
from typing import Self

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.nearest_neighbours import BM25Recommender
from implicit.utils import ParameterWarning
from threadpoolctl import threadpool_limits

from .base import Reason, Recommender, catalog_mask
from .data import Events
from .interactions import age_in_days, half_life_decay, purchase_occasions, rows_of, user_item_matrix


def log_confidence(train: Events, half_life_days: float | None) -> sp.csr_matrix:
    """Customer x item ``log(1 + sum of decayed purchase occasions)``."""
    occasions = purchase_occasions(train)
    weights = half_life_decay(age_in_days(occasions, train.timestamp.max()), half_life_days)
    matrix = user_item_matrix(occasions, weights).astype(np.float32)
    matrix.data = np.log1p(matrix.data)
    return matrix


class CollaborativeFiltering(Recommender):
    """User-to-item CF with implicit's ALS; scores are user . item factors.

    Already-bought items are scored like any other (repeat purchases are the
    norm here). With the defaults (no decay, alpha 1) this is the reference
    ALS baseline; the product variant decays old purchases (``half_life_days``)
    and raises ``alpha`` so recent buying habits drive the factors.
    New visitors have no factors and score 0 everywhere: callers fall back to
    popularity (the blend does).
    """

    def __init__(
        self,
        factors: int = 64,
        iterations: int = 15,
        regularization: float = 0.05,
        alpha: float = 1.0,
        half_life_days: float | None = None,
        random_state: int = 42,
        name: str = "user_cf",
    ) -> None:
        self.factors = factors
        self.iterations = iterations
        self.regularization = regularization
        self.alpha = alpha
        self.half_life_days = half_life_days
        self.random_state = random_state
        self.name = name

    def fit(self, train: Events) -> Self:
        self.train = train
        confidence = log_confidence(train, self.half_life_days)
        # implicit parallelises itself; a multi-threaded BLAS underneath it
        # oversubscribes the cores and makes the fit several times slower.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors,
                iterations=self.iterations,
                regularization=self.regularization,
                alpha=self.alpha,
                random_state=self.random_state,
            )
            model.fit(confidence, show_progress=False)
        self.has_history = np.diff(confidence.indptr) > 0
        self.user_factors = np.asarray(model.user_factors)
        self.item_factors = np.asarray(model.item_factors)
        self.recommendable = catalog_mask(train)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users)
        known = (users >= 0) & self.has_history[np.maximum(users, 0)]
        factors = np.where(known[:, None], self.user_factors[np.maximum(users, 0)], 0.0)
        return np.where(self.recommendable, factors @ self.item_factors.T, -np.inf)

    def reason(self, user: int, item: int) -> Reason:
        return ("customers_like_you", None)


class BM25ItemKNN(Recommender):
    """implicit's BM25 item-kNN: score = user's log-count row x BM25 item similarity.

    Computes exactly what ``BM25Recommender.recommend(...,
    filter_already_liked_items=False)`` ranks by, for a whole batch at once.
    """

    name = "implicit_bm25"

    def __init__(self, neighbours: int = 100) -> None:
        self.neighbours = neighbours

    def fit(self, train: Events) -> Self:
        self.train = train
        self.confidence = log_confidence(train, half_life_days=None)
        model = BM25Recommender(K=self.neighbours)
        with warnings.catch_warnings():
            # implicit hands its own BM25-weighted COO matrix to its kNN fit
            # and then warns about the COO input; nothing to fix on our side.
            warnings.simplefilter("ignore", ParameterWarning)
            model.fit(self.confidence, show_progress=False)
        self.similarity = model.similarity.tocsr()
        self.recommendable = catalog_mask(train)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        scores = (rows_of(self.confidence, users) @ self.similarity).toarray()
        return np.where(self.recommendable, scores, -np.inf)

    def reason(self, user: int, item: int) -> Reason:
        history = rows_of(self.confidence, np.array([user])).toarray()[0]
        contribution = history * self.similarity[:, item].toarray()[:, 0]
        if contribution.max(initial=0.0) <= 0:
            return ("similar_to", None)
        return ("similar_to", str(self.train.item_ids[int(np.argmax(contribution))]))
