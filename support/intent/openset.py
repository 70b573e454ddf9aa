"""Saying "none of these": the out-of-scope rule, chosen from the training data alone.

A ticket is out of scope when the classifier's calibrated confidence is below
``min_confidence`` OR its embedding's cosine similarity to the nearest training
ticket is below ``min_similarity``. The two catch different things: a message
between two known intents has a low confidence, a message unlike anything seen
(a greeting, a question the shop never planned for) has a low similarity even when
one intent happens to win clearly.

No out-of-scope examples exist at training time, so both cut-offs are chosen by
simulating unknown intents inside the training data (``choose_open_rule``), as is an optional
per-intent similarity floor (a quantile of the intent's own nearest-neighbour similarities). In
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

from dataclasses import dataclass, field

import numpy as np

#: Share of the known intents that play "unknown" in each simulated draw.
OPEN_SHARE = 0.25
#: Share of incoming tickets expected to fit no intent, which the cut-offs are chosen for (the simulated
#: rows are reweighted to it). On real shop chatbots a third to a half of the messages fit no intent.
OPEN_TRAFFIC = 0.4
DRAWS = 8
CONFIDENCE_GRID = np.r_[0.0, np.linspace(0.1, 0.9, 17)]
SIMILARITY_GRID = np.r_[0.0, np.linspace(0.5, 0.9, 41)]
MARGIN_GRID = np.linspace(0.0, 0.1, 11)
#: Quantiles of each intent's own nearest-neighbour similarities tried as that intent's similarity floor
#: (None: no per-intent floor).
QUANTILE_GRID = (None, 0.0, 0.02, 0.05, 0.1, 0.15, 0.2)
_CHUNK = 2048


@dataclass(frozen=True)
class OpenRule:
    """Out of scope when the confidence is below ``min_confidence``, the similarity to the nearest training
    ticket below ``min_similarity``, or the nearest intent wins by less than ``min_margin`` (cosine of the
    nearest ticket of the best intent minus that of the second intent)."""

    min_confidence: float = 0.0
    min_similarity: float = 0.0
    min_margin: float = 0.0
    simulated_macro_f1: float | None = None
    #: Per-intent similarity floors (index = label index): the ``intent_quantile`` quantile of the similarities
    #: of that intent's own training tickets to their nearest other ticket of the intent. Empty: none.
    intent_similarity: tuple[float, ...] = field(default=(), repr=False)
    intent_quantile: float | None = None

    def is_open(self, confidences: np.ndarray, similarities: np.ndarray,
                margins: np.ndarray | None = None, intents: np.ndarray | None = None) -> np.ndarray:
        result = (np.asarray(confidences) < self.min_confidence) | (np.asarray(similarities) < self.min_similarity)
        if margins is not None:
            result |= np.asarray(margins) < self.min_margin
        if self.intent_similarity and intents is not None:
            result |= np.asarray(similarities) < np.asarray(self.intent_similarity)[np.asarray(intents, dtype=int)]
        return result


def similarity_and_margin(by_label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """From (rows, labels) best cosines: the nearest ticket's similarity, and its lead over the next intent."""
    if by_label.shape[1] < 2:
        return by_label.max(axis=1), np.ones(len(by_label), dtype=np.float32)
    top = np.sort(by_label, axis=1)[:, -2:]
    return top[:, 1], top[:, 1] - top[:, 0]


def label_similarity(queries: np.ndarray, reference: np.ndarray, targets: np.ndarray, n_labels: int) -> np.ndarray:
    """(queries, labels): each query's best cosine to the reference rows of each label."""
    best = np.full((len(queries), n_labels), -1.0, dtype=np.float32)
    order = np.argsort(targets, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(targets[order])) + 1]
    present = targets[order][starts]
    for i in range(0, len(queries), _CHUNK):
        similarity = queries[i:i + _CHUNK] @ reference[order].T
        best[i:i + _CHUNK, present] = np.maximum.reduceat(similarity, starts, axis=1)
    return best


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


def intent_floors(similarity_by_label: np.ndarray, targets: np.ndarray, n_labels: int, quantile: float) -> np.ndarray:
    """Per label: the ``quantile`` of its own rows' similarity to their nearest other row of the same label."""
    own = similarity_by_label[np.arange(len(targets)), targets]
    return np.array([np.quantile(own[targets == k], quantile) if (targets == k).any() else -1.0
                     for k in range(n_labels)], dtype=np.float32)


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
                     open_traffic: float | None = None,
                     quantiles: tuple[float | None, ...] = QUANTILE_GRID) -> OpenRule:
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
    open_class = n_labels  # one index past the labels
    draws_data = []
    for _ in range(draws):
        known = np.sort(rng.permutation(n_labels)[n_open:])
        restricted = probabilities[:, known]
        restricted = restricted / restricted.sum(axis=1, keepdims=True)
        similarity, margin = similarity_and_margin(similarity_by_label[:, known])
        truth = np.where(np.isin(targets, known), targets, open_class)
        weights = None
        if open_traffic is not None:  # reweight so that out-of-scope rows are this share of the traffic
            is_open = truth == open_class
            weights = np.where(is_open, open_traffic / is_open.mean(), (1 - open_traffic) / (1 - is_open.mean()))
        draws_data.append((restricted.max(axis=1), known[restricted.argmax(axis=1)], similarity, margin, truth,
                           weights))

    floors = {q: intent_floors(similarity_by_label, targets, n_labels, q) for q in quantiles if q is not None}

    def mean_f1(min_confidence: float, min_similarity: float, min_margin: float, quantile: float | None) -> float:
        total = 0.0
        for confidence, best, similarity, margin, truth, weights in draws_data:
            flagged = (confidence < min_confidence) | (similarity < min_similarity) | (margin < min_margin)
            if quantile is not None:
                flagged |= similarity < floors[quantile][best]
            total += macro_f1(truth, np.where(flagged, open_class, best), n_labels + 1, weights)
        return total / len(draws_data)

    # Stage 1: similarity (global and per intent) and margin, which the simulation reproduces exactly (neighbours
    # of the known intents; an intent's floor comes from its own rows, which a held-out draw does not change).
    _, min_similarity, min_margin, pick = max(
        (mean_f1(0.0, ts, tm, q), ts, tm, i) for ts in SIMILARITY_GRID for tm in MARGIN_GRID
        for i, q in enumerate(quantiles))
    quantile = quantiles[pick]
    # Stage 2: a confidence floor on top. Renormalised probabilities only approximate a model that never saw the
    # held-out intents (such a model is surer of its wrong answer), so this stage cannot undo stage 1.
    best_f1, min_confidence = max((mean_f1(tc, min_similarity, min_margin, quantile), tc) for tc in CONFIDENCE_GRID)
    per_intent = () if quantile is None else tuple(float(x) for x in floors[quantile])
    return OpenRule(float(min_confidence), float(min_similarity), float(min_margin), round(float(best_f1), 4),
                    per_intent, None if quantile is None else float(quantile))
