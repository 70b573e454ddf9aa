"""Popularity: the cold-start answer, overall or within a category."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

import numpy as np

from .base import Reason, Recommendation, Recommender, catalog_mask, top_k
from .data import Events
from .interactions import age_in_days, half_life_decay, purchase_occasions


class DecayedPopularity(Recommender):
    """Rank items by purchase occasions, each weighted by 0.5 ** (age / half-life).

    This shop is strongly seasonal (Christmas stock sells in Nov-Dec), so what
    sold last week predicts next week far better than the all-time count.
    ``half_life_days=None`` gives plain all-time popularity, the baseline.
    The 7-day default ranked best alone on the validation month (NDCG@10
    0.119 vs 0.114 for 3 days and 0.106 for 14); inside the blend, where the
    customer's own history carries the long-term signal, 3 days won.
    Anonymous baskets count: they are real sales.

    ``categories`` (optional, StockCode -> category name) enables
    :meth:`top_in_category` and names the category in the reason; nothing in
    the Online Retail data defines categories, so by default there are none.
    """

    def __init__(
        self,
        half_life_days: float | None = 7.0,
        categories: Mapping[str, str] | None = None,
        name: str = "decayed_popularity",
    ) -> None:
        self.half_life_days = half_life_days
        self.categories = categories or {}
        self.name = name

    def fit(self, train: Events) -> Self:
        self.train = train
        occasions = purchase_occasions(train)
        weights = half_life_decay(
            age_in_days(occasions, train.timestamp.max()), self.half_life_days
        )
        self.popularity = np.bincount(occasions.item, weights=weights, minlength=train.n_items)
        self.recommendable = catalog_mask(train)
        self.category = np.array(
            [self.categories.get(item_id) for item_id in train.item_ids], dtype=object
        )
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        scores = np.where(self.recommendable, self.popularity, -np.inf)
        return np.tile(scores, (len(users), 1))

    def reason(self, user: int, item: int) -> Reason:
        return ("popular", self.category[item])

    def top_in_category(self, category: str, k: int) -> list[Recommendation]:
        """The ``k`` most popular items of one category (e.g. a category page)."""
        in_category = self.recommendable & (self.category == category)
        scores = np.where(in_category, self.popularity, -np.inf)
        return [
            Recommendation(int(item), str(self.train.item_ids[item]), float(scores[item]),
                           ("popular", category))
            for item in top_k(scores[None, :], k)[0]
            if item >= 0
        ]
