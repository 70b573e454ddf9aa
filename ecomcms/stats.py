"""Small, dependency-light statistics for comparing rates and means with their uncertainty.

Shared by the editor-decision analytics (content) and the storefront experiments: Wilson intervals
for a rate, Newcombe's interval for a difference of two rates, a percentile bootstrap for a mean,
and the probability that each of several Beta-Binomial arms is the best.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def as_dict(self, digits: int = 4) -> dict:
        return {
            "estimate": round(self.estimate, digits),
            "low": round(self.low, digits),
            "high": round(self.high, digits),
        }

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


def wilson(successes: int, trials: int, z: float = Z95) -> Interval:
    """The Wilson score interval of a rate (sound at 0, 1 and small samples); (0, 0, 1) without trials."""
    if trials <= 0:
        return Interval(0.0, 0.0, 1.0)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def rate_difference(successes_a: int, trials_a: int, successes_b: int, trials_b: int, z: float = Z95) -> Interval:
    """Newcombe's hybrid score interval for rate(b) - rate(a) (method 10 of Newcombe 1998)."""
    a, b = wilson(successes_a, trials_a, z), wilson(successes_b, trials_b, z)
    difference = b.estimate - a.estimate
    low = difference - math.sqrt((b.estimate - b.low) ** 2 + (a.high - a.estimate) ** 2)
    high = difference + math.sqrt((b.high - b.estimate) ** 2 + (a.estimate - a.low) ** 2)
    return Interval(difference, max(-1.0, low), min(1.0, high))


def bootstrap_mean(values: Sequence[float], *, resamples: int = 2000, seed: int = 0, level: float = 0.95) -> Interval:
    """The mean with a percentile bootstrap interval; (nan, nan, nan) for no values."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Interval(math.nan, math.nan, math.nan)
    if data.size == 1:
        return Interval(float(data[0]), float(data[0]), float(data[0]))
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    tail = (1 - level) / 2
    return Interval(float(data.mean()), float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail)))


def probability_best(arms: Sequence[tuple[int, int]], *, draws: int = 20000, seed: int = 0,
                     prior: tuple[float, float] = (1.0, 1.0)) -> list[float]:
    """P(arm i has the highest rate) under independent Beta(prior + successes, prior + failures) posteriors.

    ``arms`` is ``[(successes, trials), ...]``; Monte Carlo with a fixed seed, so a page shows the same
    figure on every load.
    """
    if not arms:
        return []
    rng = np.random.default_rng(seed)
    samples = np.column_stack([
        rng.beta(prior[0] + s, prior[1] + max(n - s, 0), size=draws) for s, n in arms
    ])
    best = samples.argmax(axis=1)
    return [float((best == i).mean()) for i in range(len(arms))]


def median(values: Sequence[float]) -> float | None:
    return float(np.median(values)) if len(values) else None


def probability_best_many(successes, trials, *, draws: int = 20000, seed: int = 0,
                          prior: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """``probability_best`` for many sets of arms at once: arrays (sets, arms) in, (sets, arms) out.

    The same Beta posteriors and Monte Carlo as ``probability_best`` (not the same random stream);
    for simulations that ask it of thousands of experiments.
    """
    successes = np.asarray(successes, dtype=float)
    trials = np.asarray(trials, dtype=float)
    sets, arms = successes.shape
    alpha = prior[0] + successes
    beta = prior[1] + np.maximum(trials - successes, 0)
    rng = np.random.default_rng(seed)
    found = np.empty((sets, arms))
    chunk = max(1, 2_000_000 // (draws * arms))
    for start in range(0, sets, chunk):
        stop = min(sets, start + chunk)
        samples = rng.beta(alpha[start:stop, None, :], beta[start:stop, None, :], size=(stop - start, draws, arms))
        best = samples.argmax(axis=2)
        found[start:stop] = (best[..., None] == np.arange(arms)).mean(axis=1)
    return found
