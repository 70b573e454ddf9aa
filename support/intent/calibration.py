"""Turning raw classifier margins into confidences, and confidences into cut-offs.

Both steps use only out-of-fold predictions on the TRAINING data: each training
ticket is scored by a model that did not see it, which is how the model will
behave on new tickets. No test data is ever involved.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.isotonic import IsotonicRegression

from support.intent.prediction import Cutoffs

#: Local out-of-fold accuracy below which a prediction is Low (more likely wrong than right).
LOW_ACCURACY = 0.5
#: Share of right answers wanted among High predictions (measured out-of-fold).
HIGH_PRECISION = 0.99


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    return np.exp(log_softmax(scores / temperature, axis=1))


def fit_temperature(scores: np.ndarray, targets: np.ndarray) -> float:
    """The temperature that minimises the log-loss of ``softmax(scores / T)``.

    Linear-SVM margins are not probabilities; one fitted scale turns them into
    calibrated ones (temperature scaling) without changing which label wins, so
    accuracy is untouched and one parameter cannot overfit. The targets are
    smoothed as if one more row, spread evenly over the labels, had been seen:
    without that, a cross-validation with no mistake drives T to 0 and every
    confidence to exactly 1; with thousands of rows the effect is negligible.
    """
    n_rows, n_labels = scores.shape
    smoothing = 1.0 / (n_rows + 1)
    wanted = np.full(scores.shape, smoothing / n_labels)
    wanted[np.arange(n_rows), targets] += 1.0 - smoothing

    def log_loss(log_t: float) -> float:
        return float(-(wanted * log_softmax(scores / np.exp(log_t), axis=1)).sum(axis=1).mean())

    return float(np.exp(minimize_scalar(log_loss, bounds=(-6.0, 4.0), method="bounded").x))


def choose_cutoffs(
    confidences: np.ndarray,
    correct: np.ndarray,
    low_accuracy: float = LOW_ACCURACY,
    high_precision: float = HIGH_PRECISION,
) -> Cutoffs:
    """Pick the Low/Medium/High cut-offs from out-of-fold confidences and right/wrong flags.

    * ``threshold`` (below it: Low, "out of scope / needs a human") is the lowest
      confidence at which the out-of-fold label was right at least ``low_accuracy``
      (50%) of the time, the local accuracy being an isotonic (monotone) fit of
      right/wrong on confidence. Below it the model's label is more likely wrong
      than right, so routing it automatically is worse than asking a person.
    * ``high`` is the lowest confidence at which all predictions at or above it
      were right at least ``high_precision`` (99%) of the time: the High bucket
      keeps that promise as a whole. Never below ``threshold``; 1.0 (no High
      bucket) if no cut-off reaches that precision.
    """
    local = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True).fit(confidences, correct.astype(float))
    trusted = confidences[local.predict(confidences) >= low_accuracy]
    threshold = float(trusted.min()) if len(trusted) else 1.0
    order = np.argsort(-confidences, kind="stable")
    sorted_conf = confidences[order]
    precision = np.cumsum(correct[order]) / np.arange(1, len(sorted_conf) + 1)
    last_of_tie = np.r_[sorted_conf[1:] != sorted_conf[:-1], True]  # a cut keeps or drops whole ties
    reaching = np.flatnonzero(last_of_tie & (precision >= high_precision))
    high = float(sorted_conf[reaching[-1]]) if len(reaching) else 1.0
    return Cutoffs(threshold=threshold, high=max(high, threshold))


def choose_mix(
    log_probabilities: list[np.ndarray], targets: np.ndarray, grid: tuple[tuple[float, ...], ...]
) -> tuple[tuple[float, ...], np.ndarray]:
    """The grid weights whose weighted sum of member log-probabilities is most often right.

    Ties (common on easy data, where a few rows decide) go to the lower log-loss of
    the normalised mix, then to the earlier grid entry, so the choice is deterministic.
    Returns the weights and the mixed out-of-fold scores they give.
    """
    rows = np.arange(len(targets))
    best_key, best = None, None
    for weights in grid:
        mixed = sum(w * lp for w, lp in zip(weights, log_probabilities))
        accuracy = float((mixed.argmax(axis=1) == targets).mean())
        key = (-accuracy, float(-log_softmax(mixed, axis=1)[rows, targets].mean()))
        if best_key is None or key < best_key:
            best_key, best = key, (weights, mixed)
    return best
