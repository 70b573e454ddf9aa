"""Offline evaluation: every recommender on the same temporal split.

Run from the repository root::

    python -m recommender.engine.evaluate PATH [--test-days 30] [--k 10] [--json] [--tune]

``--tune`` first re-derives the blend's hyper-parameters on the 30 days
before the test cut (training data only) and evaluates the blend with them;
without it the blend uses the defaults in :class:`~.blend.BlendParams`, which
came from that same procedure.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .base import Recommender
from .blend import Blend, BlendParams, product_cf
from .collaborative import BM25ItemKNN, CollaborativeFiltering
from .data import load_online_retail
from .item_based import BoughtTogether, ItemSimilarity, SessionRecommender
from .metrics import evaluate_rankings
from .popularity import DecayedPopularity
from .repeat import BuyAgain
from .split import Split, temporal_split
from .tuning import tune_blend, validation_events

METRICS = ("precision", "recall", "ndcg", "map", "coverage")

logger = logging.getLogger(__name__)


def baselines() -> list[Recommender]:
    """The reference points the product must beat (fixed settings from the brief)."""
    return [
        DecayedPopularity(half_life_days=None, name="popularity"),
        BuyAgain(),
        CollaborativeFiltering(factors=64, iterations=15, regularization=0.05, name="implicit_als"),
        BM25ItemKNN(neighbours=100),
    ]


def product_recommenders(params: BlendParams | None = None) -> list[Recommender]:
    """The recommenders the shop uses; the blend last."""
    return [
        DecayedPopularity(),
        BoughtTogether(),
        ItemSimilarity(),
        product_cf(),
        SessionRecommender(),
        Blend(params),
    ]


def evaluate_recommender(model: Recommender, split: Split, k: int) -> dict[str, float]:
    """Fit on the split's training events, rank for its test customers, score."""
    started = time.perf_counter()
    model.fit(split.train)
    fit_seconds = time.perf_counter() - started
    ranked = model.recommend(split.test_users, k)
    metrics = evaluate_rankings(ranked, split.relevant, split.catalog, k)
    return {**metrics, "fit_seconds": fit_seconds}


def evaluate(
    path: str | Path, test_days: int = 30, k: int = 10, tune: bool = False
) -> dict[str, dict[str, float]]:
    """Metrics @k and fit time for every baseline and product recommender.

    Returns ``{name: {"precision", "recall", "ndcg", "map", "coverage",
    "fit_seconds"}}``. Cancellations are netted per side of the cut (see
    :func:`~.split.temporal_split`). With ``tune=True`` the blend's
    parameters are first chosen on a validation month carved from training.
    """
    events = load_online_retail(path, net=False)
    split = temporal_split(events, test_days)
    logger.info(
        "split at %s: %d training purchase lines, %d test customers, catalog of %d items",
        split.cut, len(split.train), len(split.test_users), len(split.catalog),
    )
    params = None
    if tune:
        tuning = tune_blend(validation_events(events, test_days), test_days, k)
        params = tuning.best
        logger.info(
            "tuned on %d validation customers: %s (validation NDCG@%d %.4f)",
            tuning.validation_users, params, k, tuning.best_ndcg,
        )
    return {
        model.name: evaluate_recommender(model, split, k)
        for model in [*baselines(), *product_recommenders(params)]
    }


def format_table(results: dict[str, dict[str, float]], k: int = 10) -> str:
    """A fixed-width text table, one row per recommender, in ``results`` order."""
    headers = ["recommender", *(f"{metric}@{k}" for metric in METRICS), "fit_s"]
    rows = [
        [name, *(f"{values[metric]:.4f}" for metric in METRICS), f"{values['fit_seconds']:.2f}"]
        for name, values in results.items()
    ]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                  for i, (cell, width) in enumerate(zip(row, widths)))
        for row in [headers, *rows]
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="online_retail CSV (optionally .gz)")
    parser.add_argument("--test-days", type=int, default=30)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--tune", action="store_true",
                        help="re-tune the blend on a validation month from training first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    results = evaluate(args.path, test_days=args.test_days, k=args.k, tune=args.tune)
    print(json.dumps(results, indent=2) if args.json else format_table(results, args.k))
    return 0


if __name__ == "__main__":
    sys.exit(main())
