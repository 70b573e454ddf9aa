"""The verdict rule of A/B tests of copy, by simulation: false winners with peeking, power, the plan."""

from __future__ import annotations

import math

import pytest

from storefront import simulation, verdict


def _plan(arms: int) -> int:
    return verdict.planned_exposures(baseline=0.08, lift=0.25, arms=arms)


@pytest.mark.parametrize("arms", [2, 3])
def test_equal_arms_looked_at_every_200_visitors_name_a_winner_at_most_5_percent_of_the_time(arms):
    """200 seeded experiments of equal arms (add-to-cart 8%), a look after every 200 visitors per arm.

    The old rule (P(best) >= 95% on either metric) names a winner in 50.5% (2 arms) and 18.5% (3 arms)
    of the same experiments, so the bound tells the two apart.
    """
    found = simulation.simulate([0.08] * arms, experiments=200, planned=_plan(arms), every=200, minimum=300, seed=11,
                                draws=1000, rules=["new", "old"])
    new, old = found["new"].rate(), found["old"].rate()
    assert new.estimate <= 0.05, new
    assert old.estimate > 0.15, old  # the rule it replaces fails the same bound, by far


def test_a_known_lift_is_found_with_the_planned_power_and_a_large_one_early():
    planned = _plan(2)
    found = simulation.simulate([0.08, 0.10], experiments=200, planned=planned, every=200, minimum=300, seed=12,
                                rules=["new"])["new"]
    assert found.rate(arm=1).estimate >= 0.70, found.rate(arm=1)  # planned for 80%
    assert found.rate(arm=0).estimate == 0  # never the worse arm
    large = simulation.simulate([0.08, 0.13], experiments=200, planned=planned, every=200, minimum=300, seed=13,
                                rules=["new"])["new"]
    assert large.rate(arm=1).estimate == 1
    assert large.mean_visitors(arm=1) < planned / 2  # a big lift is called long before the plan


def test_the_planned_sample_is_the_two_proportion_size_with_the_boundary_in_place_of_z():
    c2, c3 = verdict.boundary(2), verdict.boundary(3)
    assert (round(c2, 3), round(c3, 3)) == (2.241, 2.394)  # Phi^-1(1 - 0.05/4), Phi^-1(1 - 0.05/6)
    z = c2 + 0.8416212335729143
    assert verdict.planned_exposures(baseline=0.08, lift=0.25, arms=2) == math.ceil(
        z * z * (0.08 * 0.92 + 0.10 * 0.90) / 0.02 ** 2) == 3888
    assert verdict.planned_exposures(baseline=0.08, lift=0.25, arms=3) > 3888  # a stricter boundary needs more
    for bad in ({"baseline": 0, "lift": 0.25}, {"baseline": 0.08, "lift": 0}, {"baseline": 0.6, "lift": 1.0}):
        with pytest.raises(verdict.PlanError):
            verdict.planned_exposures(arms=2, **bad)


def test_the_boundary_is_strict_early_and_c_at_the_plan():
    planned = 1000
    # 80 vs 120 of 1000 each (8% vs 12%): z = 2.98, past c = 2.24 at the plan ...
    at_plan = verdict.decision([(80, 1000), (120, 1000)], planned=planned, minimum=100)
    assert at_plan.state == "winner" and at_plan.winner == 1 and at_plan.fraction == 1
    # ... but the same rates at a quarter of the plan (z = 1.49) need 2.24 / sqrt(0.25) = 4.48
    early = verdict.decision([(20, 250), (30, 250)], planned=planned, minimum=100)
    assert early.state == "running" and early.winner is None
    assert early.needed == pytest.approx(2 * verdict.boundary(2))
    close = verdict.decision([(80, 1000), (90, 1000)], planned=planned, minimum=100)
    assert close.state == "no_winner"  # the plan is in and the lead is small: stop
    assert verdict.decision([(0, 50), (40, 50)], planned=planned, minimum=100).state == "short"
    # three arms: the leader must beat both others, not only the last
    assert verdict.decision([(80, 1000), (125, 1000), (130, 1000)], planned=planned, minimum=100).winner is None
    assert verdict.decision([(80, 1000), (80, 1000), (130, 1000)], planned=planned, minimum=100).winner == 2
