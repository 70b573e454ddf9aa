"""Saying "none of these": the out-of-scope rule, chosen from the training data alone.

A ticket is out of scope when any of these holds:

* its combined score ``log(confidence) + similarity_weight * similarity`` is below ``min_combined``
  (confidence: the classifier's calibrated top probability; similarity: the cosine to the nearest
  training ticket). The two see different things: a message between two known intents has a low
  confidence, a message unlike anything seen (a greeting, a question the shop never planned for) a low
  similarity even when one intent happens to win clearly. One weighted score separates known from
  unknown better than two separate cut-offs (AUROC 0.949 vs 0.927 for the confidence alone on
  BANKING77 at 75% known intents, seed 0);
* its similarity is below ``min_similarity``, or below the floor of its predicted intent (a quantile
  of that intent's own tickets' nearest-neighbour similarities: a tight intent gets a high floor);
* (older rules) its confidence is below ``min_confidence``, or its nearest intent wins by less than ``min_margin``.

No out-of-scope examples exist at training time, so the cut-offs are chosen by simulating unknown
intents inside the training data (``choose_open_rule``). In each of ``draws`` seeded draws a quarter
of the known intents play "unknown". The rows of the draw's known intents keep their out-of-fold
probabilities, restricted to the known intents and renormalised; the rows of the held-out intents are
scored by ``refit(known)``, members refitted on the known intents' rows only: what a model that never
saw an intent says of it (renormalising the out-of-fold probabilities instead made the simulated
unknowns look less confident than real ones, and the chosen cut-offs too lenient). Similarities are
taken over the other rows of the known intents only (leave-one-out), which is exact. The cut-offs with
the best mean macro-F1 over the draw's known intents + "open" win, with the rows weighted so that
out-of-scope ones make up ``open_traffic`` of the traffic: the best cut-offs depend on how much of the
traffic is out of scope (choosing for 25% when 75% of the test is out of scope cost 11 points of
accuracy). Measured with the open-intent protocol in ``support.intent.openintent`` (docs/support.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

#: Share of the known intents that play "unknown" in each simulated draw.
OPEN_SHARE = 0.25
#: Share of incoming tickets expected to fit no intent, which the cut-offs are chosen for (the simulated
#: rows are reweighted to it). On real shop chatbots a third to a half of the messages fit no intent.
OPEN_TRAFFIC = 0.4
DRAWS = 4
#: Weights of the similarity in the combined score ``log(confidence) + weight * similarity``.
WEIGHT_GRID = (0.0, 0.5, 1.0, 2.0, 4.0)
#: Quantiles of the simulated rows' combined scores tried as ``min_combined``.
COMBINED_QUANTILES = np.linspace(0.0, 0.5, 26)
SIMILARITY_GRID = (0.0, 0.6, 0.65, 0.7)
#: Quantiles of each intent's own nearest-neighbour similarities tried as that intent's similarity floor
#: (None: no per-intent floor).
QUANTILE_GRID = (None, 0.0, 0.02, 0.05, 0.1, 0.15, 0.2)
_CHUNK = 2048


@dataclass(frozen=True)
class OpenRule:
    """Out of scope when ``log(confidence) + similarity_weight * similarity`` is below ``min_combined``, the
    similarity to the nearest training ticket below ``min_similarity`` or below the predicted intent's floor,
    the confidence below ``min_confidence``, or the nearest intent wins by less than ``min_margin`` (cosine of
    the nearest ticket of the best intent minus that of the second intent). The defaults never fire; a model
    saved before a field existed loads with its default (the class attribute)."""

    min_confidence: float = 0.0
    min_similarity: float = 0.0
    min_margin: float = 0.0
    simulated_macro_f1: float | None = None
    #: Per-intent similarity floors (index = label index): the ``intent_quantile`` quantile of the similarities
    #: of that intent's own training tickets to their nearest other ticket of the intent. Empty: none.
    intent_similarity: tuple[float, ...] = field(default=(), repr=False)
    intent_quantile: float | None = None
    similarity_weight: float = 0.0
    min_combined: float = float("-inf")

    @property
    def active(self) -> bool:
        """True when some cut-off can fire (a rule of defaults never does)."""
        return (self.min_combined > float("-inf") or self.min_similarity > 0 or self.min_confidence > 0
                or self.min_margin > 0 or bool(self.intent_similarity))

    def combined(self, confidences: np.ndarray, similarities: np.ndarray) -> np.ndarray:
        """The combined score ``log(confidence) + similarity_weight * similarity`` (higher: more in scope)."""
        return combined_score(confidences, similarities, self.similarity_weight)

    def is_open(self, confidences: np.ndarray, similarities: np.ndarray,
                margins: np.ndarray | None = None, intents: np.ndarray | None = None) -> np.ndarray:
        result = (np.asarray(confidences) < self.min_confidence) | (np.asarray(similarities) < self.min_similarity)
        if self.min_combined > float("-inf"):
            result |= self.combined(confidences, similarities) < self.min_combined
        if margins is not None:
            result |= np.asarray(margins) < self.min_margin
        if self.intent_similarity and intents is not None:
            result |= np.asarray(similarities) < np.asarray(self.intent_similarity)[np.asarray(intents, dtype=int)]
        return result


def combined_score(confidences: np.ndarray, similarities: np.ndarray, weight: float) -> np.ndarray:
    """``log(confidence) + weight * similarity``, the confidence clipped away from 0."""
    return np.log(np.clip(np.asarray(confidences, dtype=np.float64), 1e-12, 1.0)) + weight * np.asarray(similarities)


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


#: ``refit(known)``: calibrated probabilities (columns in ``known`` order) of the training rows whose intent is
#: NOT in ``known``, from members refitted on the rows of ``known`` only.
Refit = Callable[[np.ndarray], np.ndarray]


def choose_open_rule(probabilities: np.ndarray, targets: np.ndarray, vectors: np.ndarray, *, seed: int = 0,
                     draws: int = DRAWS, open_share: float = OPEN_SHARE,
                     open_traffic: float | None = None,
                     quantiles: tuple[float | None, ...] = QUANTILE_GRID,
                     refit: Refit | None = None) -> OpenRule:
    """The cut-offs with the best mean simulated macro-F1 (see the module doc).

    ``probabilities`` are out-of-fold calibrated probabilities (rows x labels),
    ``targets`` the label indices, ``vectors`` the unit embeddings of the same rows;
    ``refit`` scores each draw's held-out intents with a model that never saw them (without it,
    their renormalised out-of-fold probabilities stand in, which flatters the confidence).
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
        unknown = ~np.isin(targets, known)
        if refit is not None and unknown.any():
            restricted[unknown] = refit(known)
        similarity, _ = similarity_and_margin(similarity_by_label[:, known])
        truth = np.where(unknown, open_class, targets)
        weights = None
        if open_traffic is not None:  # reweight so that out-of-scope rows are this share of the traffic
            weights = np.where(unknown, open_traffic / unknown.mean(), (1 - open_traffic) / (1 - unknown.mean()))
        draws_data.append((restricted.max(axis=1), known[restricted.argmax(axis=1)], similarity, truth, weights))

    floors = {q: intent_floors(similarity_by_label, targets, n_labels, q) for q in quantiles if q is not None}
    floors_of = [None if q is None else floors[q] for q in quantiles]

    best_key, best_rule = None, OpenRule()
    for weight in WEIGHT_GRID:
        scores = [combined_score(confidence, similarity, weight) for confidence, _, similarity, _, _ in draws_data]
        for min_combined in np.quantile(np.concatenate(scores), COMBINED_QUANTILES):
            below = [score < min_combined for score in scores]
            for quantile, floor in zip(quantiles, floors_of):
                for min_similarity in SIMILARITY_GRID:
                    total = 0.0
                    for flagged, (_, best, similarity, truth, weights) in zip(below, draws_data):
                        flagged = flagged | (similarity < min_similarity)
                        if floor is not None:
                            flagged = flagged | (similarity < floor[best])
                        total += macro_f1(truth, np.where(flagged, open_class, best), n_labels + 1, weights)
                    key = round(total / len(draws_data), 6)
                    if best_key is None or key > best_key:
                        best_key = key
                        best_rule = OpenRule(
                            min_similarity=float(min_similarity), simulated_macro_f1=round(float(key), 4),
                            intent_similarity=() if floor is None else tuple(float(x) for x in floor),
                            intent_quantile=None if quantile is None else float(quantile),
                            similarity_weight=float(weight), min_combined=float(min_combined))
    return best_rule
