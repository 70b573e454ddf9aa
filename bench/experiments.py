"""The verdict rules of A/B tests of copy, old and new, on the same simulated experiments in ONE run.

    .venv/bin/python bench/experiments.py [--experiments 1000] [--every 100] [--minimum 300]
        [--baseline 0.08] [--lift 0.25] [--draws 2000] [--seed 1] [--rules old old_once bar bar_once new]

For each scenario (equal arms, two and three; a known lift) it simulates ``--experiments``
experiments (``storefront.simulation``): visitors split evenly, add-to-cart at the arm's rate, half
of the carts bought, the page looked at after every ``--every`` visitors per arm from the minimum
sample to the planned sample (``storefront.verdict.planned_exposures`` from ``--baseline`` and
``--lift``). Every rule sees the same experiments. It prints the rows of docs/analytics.md: the
share that named a winner (with equal arms: the false-winner rate) and the share that named the
better arm, with Wilson 95% intervals, and the mean visitors per arm when the better arm was named.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storefront import simulation, verdict  # noqa: E402

SCENARIOS = [
    ("equal, 2 arms", [0.08, 0.08]),
    ("equal, 3 arms", [0.08, 0.08, 0.08]),
    ("8% vs 10%", [0.08, 0.10]),
    ("8% vs 13%", [0.08, 0.13]),
    ("8%, 8%, 10%", [0.08, 0.08, 0.10]),
    ("8%, 8%, 13%", [0.08, 0.08, 0.13]),
]


def _pct(interval) -> str:
    return f"{interval.estimate:.1%} [{interval.low:.1%}, {interval.high:.1%}]"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--every", type=int, default=100, help="visitors per arm between two looks")
    parser.add_argument("--minimum", type=int, default=300, help="visitors per arm before any verdict")
    parser.add_argument("--baseline", type=float, default=0.08, help="the add-to-cart rate the plan assumes")
    parser.add_argument("--lift", type=float, default=0.25, help="the relative lift the plan is for")
    parser.add_argument("--draws", type=int, default=2000, help="Monte Carlo draws of P(best) (the page uses 20,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rules", nargs="+", default=list(simulation.RULES), choices=list(simulation.RULES))
    args = parser.parse_args(argv)

    print(f"{args.experiments} experiments per scenario, a look every {args.every} visitors per arm from "
          f"{args.minimum}; plan: {args.lift:.0%} lift on {args.baseline:.0%} add-to-cart, alpha {verdict.ALPHA:.0%}, "
          f"power {verdict.POWER:.0%}; P(best) from {args.draws} draws; seed {args.seed}")
    for key in args.rules:
        print(f"  {key}: {simulation.RULES[key]}")
    print()
    print("| scenario | planned visitors per arm | rule | named a winner (95% CI) | named the better arm (95% CI) "
          "| mean visitors per arm at that verdict |")
    print("| --- | --- | --- | --- | --- | --- |")
    started = time.perf_counter()
    for name, rates in SCENARIOS:
        planned = verdict.planned_exposures(baseline=args.baseline, lift=args.lift, arms=len(rates))
        found = simulation.simulate(rates, experiments=args.experiments, planned=planned, every=args.every,
                                    minimum=args.minimum, seed=args.seed, draws=args.draws, rules=args.rules)
        better = None if len(set(rates)) == 1 else max(range(len(rates)), key=lambda i: rates[i])
        for key in args.rules:
            outcome = found[key]
            named_better = "-" if better is None else _pct(outcome.rate(better))
            visitors = outcome.mean_visitors(better)
            print(f"| {name} | {planned} | {key} | {_pct(outcome.rate())} | {named_better} | "
                  f"{'-' if visitors is None else round(visitors)} |", flush=True)
    print(f"\n{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
