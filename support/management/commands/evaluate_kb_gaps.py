"""Measure knowledge-base gap detection on Bitext: remove some intents' articles, see what the clusters find.

    manage.py evaluate_kb_gaps --dataset PATH [--seeds 0-5] [--per-intent 20] [--removed 0.25]
        [--threshold 0.5[,0.55...]] [--distance 0.5[,0.6...]] [--min-size 3] [--json]

Every combination of ``--threshold`` and ``--distance`` runs on every seed (``support.gaps_evaluation``);
the texts are embedded once with the configured embedder. Nothing is written to the database.
"""

from __future__ import annotations

import json
import time

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from ecomcms import inference
from support import gaps
from support.gaps_evaluation import evaluate, load_bitext_rows


def _floats(value: str) -> list[float]:
    try:
        return [float(v) for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise CommandError(f"not a list of numbers: {value!r}") from exc


def _seeds(value: str) -> list[int]:
    if "-" in value:
        first, last = value.split("-", 1)
        return list(range(int(first), int(last) + 1))
    return [int(v) for v in value.split(",")]


class Command(BaseCommand):
    help = "Measure how well knowledge-base gaps are found and grouped, on Bitext with some articles removed."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, help="The Bitext CSV (with the response column).")
        parser.add_argument("--seeds", default="0-4")
        parser.add_argument("--per-intent", type=int, default=20)
        parser.add_argument("--removed", type=float, default=0.25, help="Share of intents whose article is removed.")
        parser.add_argument("--threshold", default=str(gaps.DEFAULT_THRESHOLD))
        parser.add_argument("--distance", default=str(gaps.DEFAULT_DISTANCE))
        parser.add_argument("--min-size", type=int, default=gaps.DEFAULT_MIN_SIZE)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if not 0 < options["removed"] < 1:
            raise CommandError("--removed is a share between 0 and 1")
        try:
            rows = load_bitext_rows(options["dataset"])
        except (OSError, KeyError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {options['dataset']}: {exc}") from exc
        grid = [(t, d) for t in _floats(options["threshold"]) for d in _floats(options["distance"])]
        started = time.perf_counter()
        embedder = inference.get_embedder()

        def embed(texts):
            return np.asarray(embedder.embed(texts).vectors, dtype=np.float32)

        report = evaluate(rows, embed, seeds=_seeds(options["seeds"]), per_intent=options["per_intent"],
                          removed_fraction=options["removed"], grid=grid, min_size=options["min_size"])
        report["seconds"] = round(time.perf_counter() - started, 1)
        report["embedding_model"] = embedder.model_id
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(f"{len(report['seeds'])} seeds, {options['per_intent']} tickets per intent, "
                          f"{options['removed']:.0%} of the intents' articles removed; {report['seconds']} s")
        self.stdout.write("threshold distance | det. precision | det. recall | clusters | cluster precision | "
                          "intent recall | purity | cluster F1")
        for result in report["results"]:
            s = result["summary"]

            def f(key, s=s):
                return f"{s[key][0]:.3f} ± {s[key][1]:.3f}"

            self.stdout.write(f"{result['threshold']:.2f} {result['distance']:.2f} | {f('detection_precision')} | "
                              f"{f('detection_recall')} | {s['clusters'][0]:.1f} | {f('cluster_precision')} | "
                              f"{f('intent_recall')} | {f('purity')} | {s['cluster_f1']:.3f}")
