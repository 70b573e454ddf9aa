"""When an A/B test of copy may name a winner: the plan, the boundary, the verdict (pure; no Django).

The rule, and why (docs/analytics.md measures it against the old one in one simulation):

- **One primary metric**, chosen when the experiment starts (add-to-cart rate by default, or the
  purchase rate). It alone decides; the other metric is shown as secondary. Two metrics that may
  each decide are two chances of a false winner.
- **A planned sample per arm**, computed when the experiment starts from the baseline rate of the
  primary metric and the smallest relative lift worth finding (``planned_exposures``): the visitors
  each arm needs to find that lift with ``POWER`` under the boundary below. The verdict is made on
  the first ``planned`` visitors of each arm; later visitors are shown but never decide, so a page
  looked at after the plan is reached says the same thing every time.
- **A boundary that allows looking at any time, corrected for the number of arms.** The leader is
  called the winner only when it beats *every* other arm (two-proportion z statistic, pooled) with
  ``Z * sqrt(t) >= c``, ``t`` the share of the planned sample seen so far: an O'Brien-Fleming-shaped
  boundary, ``c / sqrt(t)`` on ``Z``, strict early and ``c`` at the plan. ``Z * sqrt(t)`` of equal
  arms is close to a Brownian path, and ``P(sup B(t) >= c over 0 < t <= 1) = 2 (1 - Phi(c))``
  (reflection), so however often the page is looked at, a given arm beats a given other arm with
  probability at most ``2 (1 - Phi(c))``. An arm named the winner has beaten every other, so in
  particular one fixed other; over the ``k`` arms (Bonferroni) the chance of naming a winner among
  equal arms is at most ``2 k (1 - Phi(c))``, which ``c = Phi^-1(1 - alpha / 2k)`` makes ``alpha``:
  2.24 for two arms, 2.39 for three (alpha 5%), against 1.96 for one look at two arms.
- The minimum sample still holds: no verdict before each arm has it, whatever the boundary says
  (the normal approximation needs some visitors).

``legacy_decision`` is the rule this replaced (P(best) >= 95% on either metric once every arm has the
minimum sample), kept only so the simulation can measure both in the same run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

ALPHA = 0.05  # the false-winner rate among equal arms the rule allows, looks included
POWER = 0.80  # the chance of finding the planned lift by the planned sample
LEGACY_CONFIDENT = 0.95

CART, PURCHASE = "cart", "purchase"
METRICS = {CART: "add-to-cart rate", PURCHASE: "purchase rate"}
DEFAULT_BASELINE = {CART: 0.08, PURCHASE: 0.04}
DEFAULT_LIFT = 0.25

_NORMAL = NormalDist()


class PlanError(ValueError):
    """A plan that cannot be computed (a rate or a lift out of range); the message says why."""


def boundary(arms: int, alpha: float = ALPHA) -> float:
    """``c``: the score ``Z * sqrt(t)`` the leader must reach against every other arm (alpha / arms per arm)."""
    return _NORMAL.inv_cdf(1 - alpha / (2 * arms))


def planned_exposures(*, baseline: float, lift: float, arms: int, alpha: float = ALPHA, power: float = POWER) -> int:
    """Visitors per arm to find a relative ``lift`` on a ``baseline`` rate with ``power`` under the boundary.

    The usual two-proportion sample size with the boundary ``c`` in place of ``z(1 - alpha/2)``: by
    the plan a pair that differs by the lift reaches ``c`` with probability ``power`` at the last look
    alone, and earlier looks only add to it.
    """
    if not 0 < baseline < 1:
        raise PlanError(f"the baseline rate must be between 0% and 100%, not {baseline:.1%}")
    if not lift > 0:
        raise PlanError(f"the minimum lift must be above 0%, not {lift:.0%}")
    better = baseline * (1 + lift)
    if better >= 1:
        raise PlanError(f"a {lift:.0%} lift on {baseline:.1%} is a rate of 100% or more")
    if not 2 <= arms <= 3:
        raise PlanError(f"an experiment has 2 or 3 arms, not {arms}")
    variance = baseline * (1 - baseline) + better * (1 - better)
    z = boundary(arms, alpha) + _NORMAL.inv_cdf(power)
    return math.ceil(z * z * variance / (better - baseline) ** 2)


def pair_score(successes_a: int, trials_a: int, successes_b: int, trials_b: int, planned: int) -> tuple[float, float]:
    """``(Z, t)`` for arm a against arm b: the pooled two-proportion z statistic, and the share of the plan seen.

    ``t`` is the information of the comparison (``1 / (1/n_a + 1/n_b)``) over its planned value
    (``planned / 2``), at most 1.
    """
    if trials_a <= 0 or trials_b <= 0:
        return 0.0, 0.0
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    spread = pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b)
    z = 0.0 if spread <= 0 else (successes_a / trials_a - successes_b / trials_b) / math.sqrt(spread)
    information = 1 / (1 / trials_a + 1 / trials_b)
    return z, min(1.0, information / (planned / 2))


@dataclass(frozen=True)
class Decision:
    """The verdict on the primary metric's counts.

    ``state``: ``short`` (an arm lacks the minimum sample), ``running`` (no arm crossed the boundary
    yet and the plan is not reached), ``winner``, or ``no_winner`` (the plan is reached and no arm
    crossed: the difference, if any, is probably smaller than the planned lift).
    """

    state: str
    winner: int | None  # the winning arm's index
    leader: int | None  # the arm with the highest rate
    z: float  # the leader's smallest z against another arm
    needed: float  # the z it needs at this share of the plan, c / sqrt(t)
    fraction: float  # t: the share of the plan seen (of the leader's weakest comparison)


def decision(counts: Sequence[tuple[int, int]], *, planned: int, minimum: int, alpha: float = ALPHA) -> Decision:
    """The verdict on ``[(successes, visitors), ...]`` of the primary metric, one pair per arm.

    The caller passes the counts of the first ``planned`` visitors of each arm once an arm has them.
    """
    arms = len(counts)
    c = boundary(arms, alpha)
    rates = [s / n if n else 0.0 for s, n in counts]
    leader = max(range(arms), key=lambda i: (rates[i], -i))
    scores = [pair_score(*counts[leader], *counts[j], planned) for j in range(arms) if j != leader]
    z, fraction = min(scores, key=lambda zt: zt[0] * math.sqrt(zt[1]))
    needed = c / math.sqrt(fraction) if fraction > 0 else math.inf
    reached = all(n >= planned for _, n in counts)
    if any(n < minimum for _, n in counts):
        return Decision("short", None, leader, z, needed, fraction)
    if z * math.sqrt(fraction) >= c:
        return Decision("winner", leader, leader, z, needed, fraction)
    return Decision("no_winner" if reached else "running", None, leader, z, needed, fraction)


def legacy_decision(p_best_cart: Sequence[float], p_best_purchase: Sequence[float]) -> int | None:
    """The old rule (until issue 15): the arm with P(best) >= 95% on the purchase rate, else on the add-to-cart rate."""
    for p_best in (p_best_purchase, p_best_cart):
        best = max(range(len(p_best)), key=lambda i: p_best[i])
        if p_best[best] >= LEGACY_CONFIDENT:
            return best
    return None
