"""A trained version's artifact: the arrays serving needs, on disk and cached per process.

An artifact holds the fitted state of every recommender, not ranked lists:
the blend's per-customer purchase weights and ALS factors, the item-to-item
similarity (co-occurrence, plus content cosine when embeddings were used),
the bought-together lift, and decayed popularity. A request scores one
customer, session or product from these with a few sparse row products
(milliseconds), so exclusions and merchandising rules always see the whole
catalogue, and nothing is fitted or embedded in a request.

The file is a plain ``.npz`` (no pickle): loading it cannot run code. It is
loaded once per process and kept, keyed by its path (each version writes its
own file, so a path never changes meaning).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ecomcms.conf import conf
from recommender.engine.base import normalise_rows

if TYPE_CHECKING:  # scipy is loaded with the first artifact, not by every process importing the services
    import scipy.sparse as sp

FORMAT = 1
CACHED_ARTIFACTS = 3  # the active version, the one before it, and one being tried (A/B)
COMPONENT_REASON = {
    "repeat": "bought_before",
    "neighbours": "similar_to",
    "cf": "customers_like_you",
    "popularity": "popular",
    "similar": "similar_to",
    "together": "bought_with",
}


def artifact_dir() -> Path:
    return Path(conf.ECOMCMS_DATA_DIR) / "recommender"


def artifact_path(name: str) -> Path:
    return artifact_dir() / name


@dataclass
class Artifact:
    """Everything one version serves from. Item indices are positions in ``item_ids``."""

    item_ids: np.ndarray  # str: SKU per item
    item_pk: np.ndarray  # int64: Product pk per item at training time
    item_category: np.ndarray  # str: category per item at training time ("" = none)
    customer_ids: np.ndarray  # str: customer per row of ``repeat`` and ``user_factors``
    repeat: sp.csr_matrix  # customers x items: purchase occasions (the blend's repeat signal)
    similarity: sp.csr_matrix  # items x items: similar items (co-occurrence cosine, content cosine)
    together: sp.csr_matrix  # items x items: bought together (lift), pruned to the strongest partners
    user_factors: np.ndarray  # float32, customers x factors (ALS)
    item_factors: np.ndarray  # float32, items x factors
    has_history: np.ndarray  # bool per customer: ALS has factors for them
    popularity: np.ndarray  # float64 per item, peak 1 (time-decayed purchase occasions)
    recommendable: np.ndarray  # bool per item: bought in training, or reachable through content
    weights: dict[str, float]  # the blend's component weights
    item_index: dict[str, int] = field(init=False, repr=False)
    pk_index: dict[int, int] = field(init=False, repr=False)
    customer_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        self.item_index = {sku: i for i, sku in enumerate(self.item_ids.tolist())}
        self.pk_index = {pk: i for i, pk in enumerate(self.item_pk.tolist())}
        self.customer_index = {c: i for i, c in enumerate(self.customer_ids.tolist())}

    @property
    def n_items(self) -> int:
        return int(self.item_ids.shape[0])

    # --- Rankings -------------------------------------------------------------------------

    def customer_ranking(self, customer_id: str, history: dict[int, float] | None = None) -> Ranking:
        """The blend for one customer: exactly :meth:`recommender.engine.Blend.components`.

        A customer the version never saw has no repeat row and no ALS factors; ``history``
        (item -> purchase occasions since, from the database) then stands in for the repeat
        row, and with no history at all the blend is plain popularity: the new-visitor path.
        """
        row = self.customer_index.get(customer_id)
        if row is not None:
            repeat = self.repeat[row]
        else:
            repeat = self._context_row(history or {})
        if row is not None and self.has_history[row]:
            cf = self.user_factors[row] @ self.item_factors.T
            cf = np.where(self.recommendable, cf, 0.0)
        else:
            cf = np.zeros(self.n_items)
        components = {
            "repeat": _peak_one(repeat.toarray()[0]),
            "neighbours": _peak_one((repeat @ self.similarity).toarray()[0]),
            "cf": _peak_one(cf),
            "popularity": self.popularity,
        }
        return Ranking(self, components, self.weights, anchors={"neighbours": (repeat.toarray()[0], self.similarity)})

    def context_ranking(self, context: dict[int, float], popularity_weight: float) -> Ranking:
        """Items like the ``context`` items (a session's recent views and carts), popularity as the fill.

        Context items themselves are not recommended back.
        """
        weights = np.zeros(self.n_items)
        weights[list(context)] = list(context.values())
        similar = _weighted_rows(self.similarity, context)
        ranking = Ranking(self, {"similar": _peak_one(similar), "popularity": self.popularity},
                          {"similar": 1.0, "popularity": popularity_weight},
                          anchors={"similar": (weights, self.similarity)})
        ranking.forbid(list(context))
        return ranking

    def similar_ranking(self, item: int, popularity_weight: float) -> Ranking:
        """Similar items to ``item`` (its similarity row), then what is popular in its category."""
        context = np.zeros(self.n_items)
        context[item] = 1.0
        ranking = Ranking(
            self,
            {"similar": _peak_one(self.similarity[item].toarray()[0]),
             "popularity": self.category_popularity(self.item_category[item])},
            {"similar": 1.0, "popularity": popularity_weight},
            anchors={"similar": (context, self.similarity)},
        )
        ranking.forbid([item])
        return ranking

    def together_ranking(self, item: int, similar_weight: float, popularity_weight: float) -> Ranking:
        """Items bought on the same orders as ``item`` (lift), then similar items, then popular ones."""
        context = np.zeros(self.n_items)
        context[item] = 1.0
        ranking = Ranking(
            self,
            {"together": _peak_one(self.together[item].toarray()[0]),
             "similar": _peak_one(self.similarity[item].toarray()[0]),
             "popularity": self.category_popularity(self.item_category[item])},
            {"together": 1.0, "similar": similar_weight, "popularity": popularity_weight},
            anchors={"together": (context, self.together), "similar": (context, self.similarity)},
        )
        ranking.forbid([item])
        return ranking

    def popular_ranking(self, category: str = "") -> Ranking:
        """Popularity, favouring ``category``: the path for a product the version never saw."""
        return Ranking(self, {"popularity": self.category_popularity(category)}, {"popularity": 1.0})

    def category_popularity(self, category: str, other_categories: float = 0.25) -> np.ndarray:
        """Popularity with other categories' items scaled down, so the category's best come first."""
        if not category:
            return self.popularity
        return np.where(self.item_category == category, self.popularity, other_categories * self.popularity)

    def _context_row(self, context: dict[int, float]) -> sp.csr_matrix:
        import scipy.sparse as sp

        items = np.fromiter(context.keys(), dtype=np.int64, count=len(context))
        values = np.fromiter(context.values(), dtype=np.float64, count=len(context))
        return sp.csr_matrix((values, (np.zeros_like(items), items)), shape=(1, self.n_items))

    # --- Storage -------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write atomically (a temporary file renamed into place): a reader never sees half a file."""
        arrays = {
            "format": np.array(FORMAT),
            "item_ids": self.item_ids.astype(str), "item_pk": self.item_pk.astype(np.int64),
            "item_category": self.item_category.astype(str), "customer_ids": self.customer_ids.astype(str),
            "user_factors": self.user_factors.astype(np.float32), "item_factors": self.item_factors.astype(np.float32),
            "has_history": self.has_history.astype(bool), "popularity": self.popularity.astype(np.float64),
            "recommendable": self.recommendable.astype(bool),
            "weight_names": np.array(list(self.weights), dtype=str),
            "weight_values": np.array(list(self.weights.values()), dtype=np.float64),
        }
        for name in ("repeat", "similarity", "together"):
            matrix = getattr(self, name).tocsr()
            arrays.update({f"{name}_data": matrix.data.astype(np.float32), f"{name}_indices": matrix.indices,
                           f"{name}_indptr": matrix.indptr, f"{name}_shape": np.array(matrix.shape)})
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, **arrays)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Artifact:
        import scipy.sparse as sp

        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) != FORMAT:
                raise ValueError(f"{path.name}: artifact format {int(data['format'])}, this code reads {FORMAT}")
            matrices = {
                name: sp.csr_matrix((data[f"{name}_data"], data[f"{name}_indices"], data[f"{name}_indptr"]),
                                    shape=tuple(data[f"{name}_shape"]))
                for name in ("repeat", "similarity", "together")
            }
            return cls(
                item_ids=data["item_ids"], item_pk=data["item_pk"], item_category=data["item_category"],
                customer_ids=data["customer_ids"], user_factors=data["user_factors"],
                item_factors=data["item_factors"], has_history=data["has_history"], popularity=data["popularity"],
                recommendable=data["recommendable"],
                weights=dict(zip(data["weight_names"].tolist(), data["weight_values"].tolist())),
                **matrices,
            )


class Ranking:
    """Weighted components over the catalogue, and the reason behind each item's score.

    ``scores`` is the weighted sum; ``-inf`` marks items that must not be shown
    (not recommendable, or the context itself). The reason for an item is the
    component contributing most to its score, with the context item that
    contributes most to that component (its anchor).
    """

    def __init__(self, artifact: Artifact, components: dict[str, np.ndarray], weights: dict[str, float],
                 anchors: dict[str, tuple[np.ndarray, sp.csr_matrix]] | None = None):
        self.artifact = artifact
        self.components = components
        self.weights = {name: weights.get(name, 0.0) for name in components}
        total = sum(weight * components[name] for name, weight in self.weights.items())
        self.scores = np.where(artifact.recommendable, total, -np.inf)
        self.anchors = anchors or {}

    def forbid(self, items) -> None:
        self.scores[np.asarray(list(items), dtype=np.int64)] = -np.inf

    def reasons(self, items: list[int]) -> dict[int, tuple[str, int | None, str]]:
        """``item -> (kind, anchor item or None, the item's category)`` for the items shown."""
        if not items:
            return {}
        items_array = np.asarray(items, dtype=np.int64)
        names = list(self.components)
        contributions = np.stack([self.weights[name] * self.components[name][items_array] for name in names])
        strongest = [names[i] for i in contributions.argmax(axis=0)]
        anchors = {name: self._anchor(name, items_array) for name in set(strongest) if name in self.anchors}
        result = {}
        for position, (item, name) in enumerate(zip(items, strongest)):
            anchor = item if name == "repeat" else anchors.get(name, [None] * len(items))[position]
            result[item] = (COMPONENT_REASON[name], anchor, str(self.artifact.item_category[item]))
        return result

    def _anchor(self, name: str, items: np.ndarray) -> list[int | None]:
        """For each item, the context item ``j`` maximising ``w_j * M[j, item]``; None when nothing links."""
        weights, matrix = self.anchors[name]
        context = np.flatnonzero(weights)
        if context.size == 0:
            return [None] * len(items)
        contribution = weights[context][:, None] * _entries(matrix, context, items)
        best = contribution.argmax(axis=0)
        return [int(context[b]) if contribution[b, col] > 0 else None for col, b in enumerate(best)]


# --- A few rows of a sparse matrix, without scipy's per-call machinery ------------------------------------
# A session list reads about twenty rows of the similarity matrix: building scipy matrices for one row
# (constructors, index dtype checks, fancy indexing) cost more than the arithmetic (a profile,
# docs/performance.md). These read the CSR arrays directly and give the same floats as the scipy
# expressions they stand for (tests/recommender/test_artifact_rows.py holds them equal, bit for bit).

def _weighted_rows(matrix: sp.csr_matrix, weights: dict[int, float]) -> np.ndarray:
    """``(w @ matrix).toarray()[0]`` for the sparse row ``w = {row: weight}``.

    As scipy's product computes it: each term ``weight * value`` in float64, added into each column
    starting from zero, rows in increasing order, a row's entries in their stored order.
    """
    total = np.zeros(matrix.shape[1])
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    for row in sorted(weights):
        start, end = indptr[row], indptr[row + 1]
        np.add.at(total, indices[start:end], np.float64(weights[row]) * data[start:end].astype(np.float64))
    return total


def _entries(matrix: sp.csr_matrix, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``matrix[rows][:, columns].toarray()`` (in the matrix's dtype) for distinct ``columns``."""
    if len(set(columns.tolist())) != len(columns):
        return matrix[rows][:, columns].toarray()
    out = np.zeros((len(rows), len(columns)), dtype=matrix.dtype)
    position = np.full(matrix.shape[1], -1, dtype=np.int64)
    position[columns] = np.arange(len(columns))
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    for r, row in enumerate(rows.tolist()):
        start, end = indptr[row], indptr[row + 1]
        found = position[indices[start:end]]
        kept = found >= 0
        np.add.at(out[r], found[kept], data[start:end][kept])
    return out


def _peak_one(values: np.ndarray) -> np.ndarray:
    """Scale so the largest absolute value is 1 (the engine's per-user normalisation)."""
    return normalise_rows(np.asarray(values, dtype=np.float64)[None, :])[0]


# --- The per-process cache ---------------------------------------------------------------------

_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str], Artifact] = OrderedDict()


def cached(name: str) -> Artifact:
    """The artifact in ``DATA_DIR/recommender/<name>``, loaded on first use and kept for the process.

    Kept under the data folder's setting and the name (resolving the path on every request was a
    filesystem walk per recommendation list, docs/performance.md).
    """
    key = (str(conf.ECOMCMS_DATA_DIR), name)
    with _lock:
        artifact = _cache.get(key)
        if artifact is not None:
            _cache.move_to_end(key)
            return artifact
    artifact = Artifact.load(artifact_path(name).resolve())  # outside the lock: another version may be served
    with _lock:
        _cache[key] = artifact
        while len(_cache) > CACHED_ARTIFACTS:
            _cache.popitem(last=False)
    return artifact


def forget() -> None:
    """Drop every cached artifact (tests, and a deleted version's file)."""
    with _lock:
        _cache.clear()
