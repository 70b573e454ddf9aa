"""The product recommender: a weighted blend of four explainable signals.

score(u, i) = 1.0 * repeat(u, i)
            + neighbours_weight * neighbours(u, i)
            + cf_weight * cf(u, i)
            + popularity_weight * popularity(i)

* repeat: the customer's own purchase occasions of ``i``, each decayed by
  0.5 ** (age / repeat_half_life): frequency and recency at once. On the
  validation month plain frequency (no decay) ranked best, so that is the
  default; an item bought once still scores only 1/(top count) of the
  customer's staple, and sinks below trending or CF-backed items.
* neighbours: sum over the customer's items ``j`` of repeat(u, j) * S[j, i]
  with S the :class:`~.item_based.ItemSimilarity` cosine (content vectors
  too when given).
* cf: the recency-weighted ALS score (:class:`~.collaborative.CollaborativeFiltering`).
* popularity: time-decayed popularity with a short half-life, which tracks
  seasonal demand (the test month is the run-up to Christmas).

The three per-user signals are scaled so each customer's top item scores 1
and popularity so the top seller scores 1; the weights are then comparable
across customers. Cold start: a new visitor has no repeat, neighbour or CF
signal, so the blend reduces to decayed popularity; an item nobody has bought
yet is reachable only through content similarity when embeddings are given.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

import numpy as np

from .base import Reason, Recommender, normalise_rows
from .collaborative import CollaborativeFiltering
from .data import Events
from .interactions import age_in_days, half_life_decay, purchase_occasions, rows_of, user_item_matrix
from .item_based import ItemSimilarity, strongest_anchor
from .popularity import DecayedPopularity


@dataclass(frozen=True)
class BlendParams:
    """Blend hyper-parameters. Defaults were chosen by :func:`~.tuning.tune_blend`
    on the 30 days before the test cut of online_retail_dev (training data
    only); see ``tuning.DEFAULT_GRID`` for the values tried.
    """

    repeat_half_life_days: float | None = None  # None = plain counts, no decay
    popularity_half_life_days: float = 3.0
    neighbours_weight: float = 0.05
    cf_weight: float = 0.2
    popularity_weight: float = 0.35


def product_cf() -> CollaborativeFiltering:
    """The product's CF: ALS on recency-weighted purchases (30-day half-life).

    alpha=5 and the decay were picked on the validation month (NDCG@10 of ALS
    alone 0.265 vs 0.251 for the undecayed alpha=1 baseline settings).
    """
    return CollaborativeFiltering(alpha=5.0, half_life_days=30.0, name="user_cf")


class Blend(Recommender):
    """Repeat purchases + item neighbours + CF + decayed popularity; see module doc."""

    name = "blend"

    def __init__(
        self,
        params: BlendParams | None = None,
        categories: Mapping[str, str] | None = None,
        embeddings: np.ndarray | None = None,
        neighbours: int = 100,
    ) -> None:
        self.params = params or BlendParams()
        self.categories = categories
        self.embeddings = embeddings
        self.neighbours = neighbours

    def fit(self, train: Events) -> Self:
        self.train = train
        self.items = ItemSimilarity(self.neighbours, self.embeddings).fit(train)
        self.cf = product_cf().fit(train)
        self.recommendable = self.items.recommendable
        self._fit_decays()
        return self

    def with_params(self, params: BlendParams) -> Blend:
        """A copy with new hyper-parameters that reuses the fitted similarity
        and CF models (the expensive parts), for fast tuning."""
        blend = copy.copy(self)
        blend.params = params
        blend._fit_decays()
        return blend

    def _fit_decays(self) -> None:
        """The parts that depend on the half-lives: repeat weights and popularity."""
        occasions = purchase_occasions(self.train)
        age = age_in_days(occasions, self.train.timestamp.max())
        self.repeat = user_item_matrix(
            occasions, half_life_decay(age, self.params.repeat_half_life_days)
        )
        self.popularity = DecayedPopularity(
            self.params.popularity_half_life_days, self.categories
        ).fit(self.train)

    def components(self, users: np.ndarray) -> dict[str, np.ndarray]:
        """Each signal for ``users`` x items, scaled to peak at 1 (see module doc).

        float32: ample precision for ranking, and half the memory traffic.
        """
        repeat = rows_of(self.repeat, np.asarray(users))
        cf = self.cf.score(users)
        popularity = self.popularity.popularity / max(self.popularity.popularity.max(), 1e-12)
        components = {
            "repeat": normalise_rows(repeat.toarray()),
            "neighbours": normalise_rows((repeat @ self.items.similarity).toarray()),
            "cf": normalise_rows(np.where(np.isfinite(cf), cf, 0.0)),
            "popularity": np.tile(popularity, (repeat.shape[0], 1)),
        }
        return {name: values.astype(np.float32) for name, values in components.items()}

    def weights(self, params: BlendParams | None = None) -> dict[str, float]:
        """Component weights; repeat is the fixed unit the others are relative to."""
        params = params or self.params
        return {
            "repeat": 1.0,
            "neighbours": params.neighbours_weight,
            "cf": params.cf_weight,
            "popularity": params.popularity_weight,
        }

    def combine(
        self, components: dict[str, np.ndarray], params: BlendParams | None = None
    ) -> np.ndarray:
        """Weighted sum of precomputed components, non-recommendable items at -inf.

        ``params`` overrides the weights only (half-lives are baked into the
        components), which is what lets tuning try many weights cheaply.
        """
        weights = self.weights(params)
        total = sum(np.float32(weight) * components[name] for name, weight in weights.items())
        return np.where(self.recommendable, total, np.float32(-np.inf))

    def score(self, users: np.ndarray) -> np.ndarray:
        return self.combine(self.components(users))

    def reason(self, user: int, item: int) -> Reason:
        """The signal contributing most to this item's score, with its anchor."""
        components = self.components(np.array([user]))
        contributions = {name: w * components[name][0, item] for name, w in self.weights().items()}
        strongest = max(contributions, key=contributions.__getitem__)
        if strongest == "repeat":
            return ("bought_before", str(self.train.item_ids[item]))
        if strongest == "neighbours":
            history = rows_of(self.repeat, np.array([user])).toarray()[0]
            anchor = strongest_anchor(history, self.items.similarity, item)
            return ("similar_to", None if anchor is None else str(self.train.item_ids[anchor]))
        if strongest == "cf":
            return self.cf.reason(user, item)
        return self.popularity.reason(user, item)
