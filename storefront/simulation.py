"""Simulated A/B tests of copy: how often each verdict rule names a winner, with equal arms and with a lift.

Pure (numpy, no Django): ``bench/experiments.py`` prints the tables of docs/analytics.md from it,
and the tests ask it for the false-winner rate under peeking. Every rule sees the same simulated
experiments (common random numbers), so their rows compare like with like.

An experiment: ``len(rates)`` arms, visitors arriving to each arm in equal numbers, each adding to
the cart with their arm's rate and, once in the cart, buying with ``purchase_share``. The page is
looked at after every ``every`` visitors per arm from the minimum sample to the planned sample;
the editor acts on the first verdict (so a rule that names a winner at any look has named it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from ecomcms import stats
from storefront import verdict

#: key -> what the rule is; the order of the tables.
RULES = {
    "old": "P(best) >= 95% on either metric (the old rule), every look",
    "old_once": "the old rule, one look at the plan",
    "bar": "P(best) >= 1 - 5%/arms on the primary metric, every look",
    "bar_once": "P(best) >= 1 - 5%/arms on the primary metric, one look at the plan",
    "new": "the new rule: primary metric, boundary c/sqrt(t), every look",
}


@dataclass
class Outcome:
    """What one rule decided in each simulated experiment."""

    rule: str
    winners: np.ndarray  # per experiment: the arm named the winner, or -1
    at: np.ndarray  # per experiment: visitors per arm when it was named (0 for none)

    @property
    def experiments(self) -> int:
        return len(self.winners)

    def rate(self, arm: int | None = None) -> stats.Interval:
        """The share of experiments that named a winner (``arm``: that arm), with its Wilson 95% interval."""
        named = self.winners >= 0 if arm is None else self.winners == arm
        return stats.wilson(int(named.sum()), self.experiments)

    def mean_visitors(self, arm: int | None = None) -> float | None:
        """Mean visitors per arm at the verdict, over the experiments that named a winner (``arm``: that arm)."""
        named = self.winners >= 0 if arm is None else self.winners == arm
        return float(self.at[named].mean()) if named.any() else None


def looks(*, planned: int, every: int, minimum: int) -> list[int]:
    """Visitors per arm at each look: every ``every`` from the minimum sample, and the plan itself last."""
    points = [n for n in range(every, planned, every) if n >= minimum]
    return points + [planned]


def simulate(rates: Sequence[float], *, experiments: int, planned: int, every: int, minimum: int,
             primary: str = verdict.CART, purchase_share: float = 0.5, seed: int = 0, draws: int = 4000,
             rules: Sequence[str] = tuple(RULES), alpha: float = verdict.ALPHA) -> dict[str, Outcome]:
    """Run ``experiments`` simulated experiments with these add-to-cart ``rates`` per arm under each rule.

    ``draws`` is the Monte Carlo size of P(best) for the rules that use it (the page uses 20,000; at
    the 95% bar 4,000 draws have a standard error of 0.3 points).
    """
    unknown = set(rules) - set(RULES)
    if unknown:
        raise ValueError(f"unknown rules: {sorted(unknown)}")
    rng = np.random.default_rng(seed)
    points = looks(planned=planned, every=every, minimum=minimum)
    steps = np.diff([0, *points])
    arms = len(rates)
    # visitors per look per arm -> carts and purchases, cumulated: (experiments, looks, arms)
    carts = rng.binomial(steps[None, :, None], np.asarray(rates)[None, None, :], size=(experiments, len(points), arms))
    purchases = rng.binomial(carts, purchase_share)
    carts, purchases = carts.cumsum(axis=1), purchases.cumsum(axis=1)
    found = {}
    for key in rules:
        winners = np.full(experiments, -1)
        at = np.zeros(experiments, dtype=int)
        chosen = range(len(points)) if key in ("old", "bar", "new") else [len(points) - 1]
        for index in chosen:
            open_ = np.flatnonzero(winners < 0)
            if not len(open_):
                break
            named = _decide(key, carts[open_, index], purchases[open_, index], points[index], primary=primary,
                            planned=planned, minimum=minimum, alpha=alpha, draws=draws, seed=seed * 7919 + index)
            hit = named >= 0
            winners[open_[hit]] = named[hit]
            at[open_[hit]] = points[index]
        found[key] = Outcome(key, winners, at)
    return found


def _decide(key: str, carts: np.ndarray, purchases: np.ndarray, visitors: int, *, primary: str, planned: int,
            minimum: int, alpha: float, draws: int, seed: int) -> np.ndarray:
    """The arm each experiment's rule names at this look (-1 for none); counts are (experiments, arms)."""
    trials = np.full(carts.shape, visitors)
    arms = carts.shape[1]
    main = carts if primary == verdict.CART else purchases
    if key == "new":
        return np.array([
            _winner(verdict.decision([(int(s), visitors) for s in row], planned=planned, minimum=minimum, alpha=alpha))
            for row in main])
    if key in ("old", "old_once"):
        best_cart = _probability_best(carts, trials, bar=verdict.LEGACY_CONFIDENT, draws=draws, seed=seed)
        best_purchase = _probability_best(purchases, trials, bar=verdict.LEGACY_CONFIDENT, draws=draws, seed=seed + 1)
        return np.array([_none(verdict.legacy_decision(c, p)) for c, p in zip(best_cart, best_purchase)])
    bar = 1 - alpha / arms  # "bar", "bar_once"
    best = _probability_best(main, trials, bar=bar, draws=draws, seed=seed)
    leader = best.argmax(axis=1)
    return np.where(best.max(axis=1) >= bar, leader, -1)


def _probability_best(successes: np.ndarray, trials: np.ndarray, *, bar: float, draws: int, seed: int) -> np.ndarray:
    """P(best) per experiment and arm, by Monte Carlo only where some arm may be near ``bar``; 0 elsewhere.

    P(arm i is best) <= P(arm i beats arm j) for every j, which the normal approximation of the two
    Beta posteriors gives to about a point; an experiment whose every arm is 10 points or more under
    the bar by that bound cannot reach it, and skipping its Monte Carlo saves most of the run.
    """
    a, b = 1 + successes, 1 + np.maximum(trials - successes, 0)
    mean, var = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    gap = (mean[:, :, None] - mean[:, None, :]) / np.sqrt(var[:, :, None] + var[:, None, :])
    arms = successes.shape[1]
    gap[:, np.arange(arms), np.arange(arms)] = np.inf
    bound = ndtr(gap.min(axis=2))  # (experiments, arms)
    found = np.zeros(successes.shape)
    near = np.flatnonzero(bound.max(axis=1) >= bar - 0.10)
    if len(near):
        found[near] = stats.probability_best_many(successes[near], trials[near], draws=draws, seed=seed)
    return found




def _winner(decision: verdict.Decision) -> int:
    return -1 if decision.winner is None else decision.winner


def _none(index: int | None) -> int:
    return -1 if index is None else index
