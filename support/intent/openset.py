"""Saying "none of these": the out-of-scope rule, chosen from the training data alone.

A ticket is out of scope when the classifier's calibrated confidence is below
``min_confidence`` OR its embedding's cosine similarity to the nearest training
ticket is below ``min_similarity``. The two catch different things: a message
between two known intents has a low confidence, a message unlike anything seen
(a greeting, a question the shop never planned for) has a low similarity even when
one intent happens to win clearly.

No out-of-scope examples exist at training time, so both cut-offs are chosen by
simulating unknown intents inside the training data (``choose_open_rule``): in
each of ``draws`` random draws a quarter of the known intents play "unknown". For
every training row the classifier's out-of-fold probabilities are restricted to the
draw's known intents and renormalised (what a model that never saw the others
would roughly say), and its nearest-neighbour similarity is taken over the other
rows of those intents only (leave-one-out). The cut-off pair with the best mean
macro-F1 over the draw's known intents + "open" wins, with the rows weighted so
that out-of-scope ones make up ``open_traffic`` of the traffic: the best cut-offs
depend on how much of the traffic is out of scope (measured: choosing for 25%
when 75% of the test is out of scope costs 11 points of accuracy). Nothing is refitted, so
this adds seconds to a fit. Measured with the open-intent protocol in
``support.intent.openintent`` (docs/support.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Share of the known intents that play "unknown" in each simulated draw.
OPEN_SHARE = 0.25
#: Share of incoming tickets expected to fit no intent, which the cut-offs are chosen for (the simulated
#: rows are reweighted to it). On real shop chatbots a third to a half of the messages fit no intent.
OPEN_TRAFFIC = 0.4
DRAWS = 8
CONFIDENCE_GRID = np.r_[0.0, np.linspace(0.1, 0.9, 17)]
SIMILARITY_GRID = np.r_[0.0, np.linspace(0.5, 0.9, 41)]
_CHUNK = 2048


@dataclass(frozen=True)
class OpenRule:
    """Out of scope when confidence < ``min_confidence`` or nearest-ticket similarity < ``min_similarity``."""

    min_confidence: float = 0.0
    min_similarity: float = 0.0
    simulated_macro_f1: float | None = None

    def is_open(self, confidences: np.ndarray, similarities: np.ndarray) -> np.ndarray:
        return (np.asarray(confidences) < self.min_confidence) | (np.asarray(similarities) < self.min_similarity)


def nearest_similarity(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Cosine similarity of each query row to its nearest reference row (unit rows), in chunks."""
    if len(reference) == 0:
        return np.full(len(queries), -1.0, dtype=np.float32)
    return np.concatenate([(queries[i:i + _CHUNK] @ reference.T).max(axis=1)
                           for i in range(0, len(queries), _CHUNK)]) if len(queries) else np.zeros(0, np.float32)


def per_label_similarity(vectors: np.ndarray, targets: np.ndarray, n_labels: int) -> np.ndarray:
    """(rows, labels): each row's best cosine to the OTHER rows of each label (itself excluded)."""
    best = np.full((len(vectors), n_labels), -1.0, dtype=np.float32)
    order = np.argsort(targets, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(targets[order])) + 1]
    present = targets[order][starts]
    for i in range(0, len(vectors), _CHUNK):
        similarity = vectors[i:i + _CHUNK] @ vectors[order].T
        rows = np.arange(i, min(i + _CHUNK, len(vectors)))
        position = np.empty(len(vectors), dtype=int)
        position[order] = np.arange(len(vectors))
        similarity[rows - i, position[rows]] = -1.0  # not itself
        best[i:i + _CHUNK, present] = np.maximum.reduceat(similarity, starts, axis=1)
    return best


def macro_f1(truth: np.ndarray, predicted: np.ndarray, n_classes: int, weights: np.ndarray | None = None) -> float:
    """Macro-F1 over the classes 0..n_classes-1 that occur in ``truth`` (integer labels), rows weighted."""
    right = truth == predicted
    true_positive = np.bincount(truth[right], weights=None if weights is None else weights[right], minlength=n_classes)
    predicted_count = np.bincount(predicted, weights=weights, minlength=n_classes)
    true_count = np.bincount(truth, weights=weights, minlength=n_classes)
    denominator = predicted_count + true_count
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros(n_classes), where=denominator > 0)
    return float(f1[true_count > 0].mean())


def choose_open_rule(probabilities: np.ndarray, targets: np.ndarray, vectors: np.ndarray, *, seed: int = 0,
                     draws: int = DRAWS, open_share: float = OPEN_SHARE,
                     open_traffic: float | None = None) -> OpenRule:
    """The (confidence, similarity) cut-offs with the best mean simulated macro-F1 (see the module doc).

    ``probabilities`` are out-of-fold calibrated probabilities (rows x labels),
    ``targets`` the label indices, ``vectors`` the unit embeddings of the same rows.
    With fewer than 4 labels no intent can play unknown: the rule never fires.
    """
    n_labels = probabilities.shape[1]
    n_open = int(round(n_labels * open_share))
    if n_labels < 4 or n_open < 1:
        return OpenRule()
    similarity_by_label = per_label_similarity(vectors, targets, n_labels)
    rng = np.random.RandomState(seed)
    scores = np.zeros((len(CONFIDENCE_GRID), len(SIMILARITY_GRID)))
    for _ in range(draws):
        known = np.sort(rng.permutation(n_labels)[n_open:])
        restricted = probabilities[:, known]
        restricted = restricted / restricted.sum(axis=1, keepdims=True)
        confidence, best = restricted.max(axis=1), known[restricted.argmax(axis=1)]
        similarity = similarity_by_label[:, known].max(axis=1)
        open_class = n_labels  # one index past the labels
        truth = np.where(np.isin(targets, known), targets, open_class)
        weights = None
        if open_traffic is not None:  # reweight so that out-of-scope rows are this share of the traffic
            is_open = truth == open_class
            weights = np.where(is_open, open_traffic / is_open.mean(), (1 - open_traffic) / (1 - is_open.mean()))
        for i, min_confidence in enumerate(CONFIDENCE_GRID):
            low_confidence = confidence < min_confidence
            for j, min_similarity in enumerate(SIMILARITY_GRID):
                predicted = np.where(low_confidence | (similarity < min_similarity), open_class, best)
                scores[i, j] += macro_f1(truth, predicted, n_labels + 1, weights)
    scores /= draws
    i, j = np.unravel_index(scores.argmax(), scores.shape)
    return OpenRule(float(CONFIDENCE_GRID[i]), float(SIMILARITY_GRID[j]), round(float(scores[i, j]), 4))
