"""Buy-again: the customer's own most-bought items, the strongest simple baseline.

Most of this shop's customers are small retailers restocking the same lines,
so "what you bought most" is hard to beat; the blend has to add to it, not
replace it.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import scipy.sparse as sp

from .base import Reason, Recommender, catalog_mask
from .data import ANONYMOUS, Events
from .interactions import purchase_occasions, rows_of, user_item_matrix
from .popularity import DecayedPopularity


class BuyAgain(Recommender):
    """Own items by purchase-occasion count, ties by most recent purchase,
    then the rest of the catalog by all-time popularity.

    Scores encode that order: ``count + recency`` for bought items, with
    recency in [0, 1) (later = higher), and ``popularity share - 1`` in
    [-1, 0) for the others, so every bought item outranks every fill item.
    """

    name = "buy_again"

    def fit(self, train: Events) -> Self:
        self.train = train
        occasions = purchase_occasions(train)
        self.counts = user_item_matrix(occasions)
        self.recency = _latest_purchase_fraction(occasions)
        self.popularity = DecayedPopularity(half_life_days=None).fit(train)
        self.recommendable = catalog_mask(train)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        counts = rows_of(self.counts, users).toarray()
        recency = rows_of(self.recency, users).toarray()
        popularity = self.popularity.popularity / (self.popularity.popularity.max() + 1.0)
        scores = np.where(counts > 0, counts + recency, popularity - 1.0)
        return np.where(self.recommendable, scores, -np.inf)

    def reason(self, user: int, item: int) -> Reason:
        if user >= 0 and self.counts[user, item] > 0:
            return ("bought_before", str(self.train.item_ids[item]))
        return self.popularity.reason(user, item)


def _latest_purchase_fraction(occasions: Events) -> sp.csr_matrix:
    """User x item time of the latest purchase, mapped into (0, 1), later = higher."""
    known = np.flatnonzero(occasions.user != ANONYMOUS)[::-1]  # newest first
    key = occasions.user[known].astype(np.int64) * occasions.n_items + occasions.item[known]
    newest = known[np.unique(key, return_index=True)[1]]
    seconds = occasions.timestamp[newest].astype(np.int64).astype(np.float64)
    oldest, newest_seconds = (seconds.min(), seconds.max()) if seconds.size else (0.0, 0.0)
    fraction = (seconds - oldest + 1.0) / (newest_seconds - oldest + 2.0)
    return sp.csr_matrix(
        (fraction, (occasions.user[newest], occasions.item[newest])),
        shape=(occasions.n_users, occasions.n_items),
    )
