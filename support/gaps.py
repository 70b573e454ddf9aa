"""Knowledge-base gaps as pure functions (numpy and scikit-learn, no Django): score, then cluster.

A ticket is *uncovered* when its best published article scores below ``threshold`` (cosine of
the stored, L2-normalised embeddings: the retrieval score of suggested replies). Uncovered
tickets are clustered by average-linkage agglomerative clustering on cosine distance, cut at
``distance`` (no number of clusters to guess; two tickets join when their groups are on average
closer than the cut); clusters smaller than ``min_size`` are dropped as noise. Measured on
Bitext in docs/support.md ("Knowledge-base gaps").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_THRESHOLD = 0.45  # best-article cosine below this: the knowledge base did not cover the ticket
DEFAULT_DISTANCE = 0.4  # average-linkage cut, cosine distance (1 - cosine)
DEFAULT_MIN_SIZE = 3  # fewer tickets than this is not a gap worth an article


def best_scores(tickets: np.ndarray, articles: np.ndarray) -> np.ndarray:
    """For each ticket vector, the cosine of its best article (``-1`` when there is no article)."""
    if len(tickets) == 0:
        return np.zeros(0, dtype=np.float32)
    if len(articles) == 0:
        return np.full(len(tickets), -1.0, dtype=np.float32)
    return (tickets @ articles.T).max(axis=1)


@dataclass(frozen=True)
class Cluster:
    members: list[int]  # indexes into the clustered vectors, nearest to the centre first
    cohesion: float  # mean cosine of the members to their centre


def cluster(vectors: np.ndarray, *, distance: float = DEFAULT_DISTANCE, min_size: int = DEFAULT_MIN_SIZE
            ) -> list[Cluster]:
    """Groups of similar vectors, largest first; members sorted by closeness to the group's centre."""
    n = len(vectors)
    if n < max(min_size, 2):
        return []
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine",
                                     linkage="average").fit_predict(vectors)
    out = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < min_size:
            continue
        centre = vectors[members].mean(axis=0)
        centre = centre / (np.linalg.norm(centre) or 1.0)
        closeness = vectors[members] @ centre
        order = np.argsort(-closeness)
        out.append(Cluster([int(members[i]) for i in order], float(closeness.mean())))
    return sorted(out, key=lambda c: (-len(c.members), c.members[0]))


def gaps(tickets: np.ndarray, articles: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD,
         distance: float = DEFAULT_DISTANCE, min_size: int = DEFAULT_MIN_SIZE) -> tuple[np.ndarray, list[Cluster]]:
    """Best-article scores of every ticket, and the clusters of the uncovered ones (indexes into ``tickets``)."""
    scores = best_scores(tickets, articles)
    uncovered = np.flatnonzero(scores < threshold)
    clusters = cluster(tickets[uncovered], distance=distance, min_size=min_size) if len(uncovered) else []
    return scores, [Cluster([int(uncovered[i]) for i in c.members], c.cohesion) for c in clusters]
