"""The spike rule, as pure functions: is this week's figure beyond its own recent baseline?

Each product, brand and category is compared with itself: the ``BASELINE_WEEKS`` weeks before
the week being checked. The z-score is that of the week's count under the baseline, computed
from the exact tail probability (binomial for the share, Poisson for the volume) and turned into
standard-normal units, so small weeks are not judged by a normal approximation they do not
follow. A figure fires only when all of these hold:

* **Share negative** (of the week's reviews, by the sentiment read from their text): at least
  ``MIN_REVIEWS`` reviews that week, ``MIN_BASELINE_WEEKS`` weeks of history and
  ``MIN_BASELINE_REVIEWS`` reviews over the baseline weeks; the
  baseline share ``p0`` is pooled over them (one negative and one other review added, so a
  spotless history is not a certainty); ``z`` of ``P(X >= negatives)`` for ``X ~ Binomial(n, p0)``
  is at least ``Z``; and the share rose by at least ``MIN_JUMP`` (absolute).
* **Ticket volume**: at least ``MIN_TICKETS`` tickets that week and ``MIN_BASELINE_WEEKS`` weeks of
  history (weeks without tickets count as zero); the baseline rate is the weekly mean plus half a
  ticket (a quiet history is not proof of silence) and, when the weeks vary more than Poisson
  noise, their mean plus their standard deviation; ``z`` of ``P(X >= tickets)`` for
  ``X ~ Poisson(rate)`` is at least ``Z``; and the week has at least ``RATIO`` times the mean.

The minimum counts keep small numbers from alerting; the jump and the ratio keep a large, steady
product from alerting on a statistically clear but trivial change. Checked on steady noise and
synthetic spikes (several seeds): tests/insights/test_spikes.py; the rule in words: docs/monitoring.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

BASELINE_WEEKS = 8
MIN_BASELINE_WEEKS = 4
Z = 3.5
MIN_REVIEWS = 10
MIN_BASELINE_REVIEWS = 20
MIN_JUMP = 0.15
MIN_TICKETS = 8
RATIO = 1.5


@dataclass(frozen=True)
class Spike:
    value: float  # the week's share negative, or ticket count
    baseline: float  # the baseline's share, or mean count
    z: float
    count: int  # reviews or tickets that week
    details: dict


def _z(tail: float) -> float:
    """The standard-normal z of a one-sided tail probability (capped at 40 for a tail of 0)."""
    if tail >= 1.0:
        return -40.0
    return 40.0 if tail <= 1e-300 else -NormalDist().inv_cdf(tail)


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q
             for i in range(k, n + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def poisson_tail(k: int, rate: float) -> float:
    """P(X >= k) for X ~ Poisson(rate)."""
    if k <= 0:
        return 1.0
    below = sum(math.exp(i * math.log(rate) - rate - math.lgamma(i + 1)) for i in range(k))
    return max(0.0, 1.0 - below) if below < 0.999 else _poisson_upper(k, rate)


def _poisson_upper(k: int, rate: float) -> float:
    # Summing the upper tail directly keeps precision when it is tiny.
    terms, i = [], k
    while True:
        term = i * math.log(rate) - rate - math.lgamma(i + 1)
        terms.append(term)
        if i > rate and term < terms[0] - 40:
            break
        i += 1
    top = max(terms)
    return math.exp(top) * sum(math.exp(t - top) for t in terms)


def share_spike(history: Sequence[tuple[int, int]], week: tuple[int, int]) -> Spike | None:
    """``history``: (reviews, negative) per baseline week, oldest first; ``week``: the week checked."""
    total, negative = week
    if total < MIN_REVIEWS:
        return None
    recent = list(history)[-BASELINE_WEEKS:]
    base_total = sum(n for n, _ in recent)
    base_negative = sum(k for _, k in recent)
    if len(recent) < MIN_BASELINE_WEEKS or base_total < MIN_BASELINE_REVIEWS:
        return None
    p0 = (base_negative + 1) / (base_total + 2)
    p = negative / total
    z = _z(binomial_tail(negative, total, p0))
    if z >= Z and p - p0 >= MIN_JUMP:
        return Spike(p, p0, z, total, {"negative": negative, "baseline_reviews": base_total,
                                       "baseline_negative": base_negative, "baseline_weeks": len(recent)})
    return None


def volume_spike(history: Sequence[int], count: int) -> Spike | None:
    """``history``: tickets per baseline week, oldest first (zeros included); ``count``: the week checked."""
    if count < MIN_TICKETS:
        return None
    recent = list(history)[-BASELINE_WEEKS:]
    if len(recent) < MIN_BASELINE_WEEKS:
        return None
    mean = sum(recent) / len(recent)
    sd = math.sqrt(sum((c - mean) ** 2 for c in recent) / (len(recent) - 1))
    rate = mean + 0.5 + (sd if sd * sd > mean else 0.0)
    z = _z(poisson_tail(count, rate))
    if z >= Z and count >= RATIO * mean:
        return Spike(float(count), mean, z, count, {"baseline_sd": round(sd, 3), "baseline_rate": round(rate, 3),
                                                    "baseline_weeks": len(recent)})
    return None
