"""Compare copy strategies in ONE run: the same seeded sample, the same harness, one row per strategy.

    .venv/bin/python bench/copy_strategies.py [--kinds description ad_headline]
        [--strategies free guarded planned] [--limit 200] [--seed 7] [--batch-size N] [--out DIR]

For each kind and strategy it runs the copy-quality harness (``content.evaluation.harness``,
what ``manage.py evaluate_copy --strategy NAME`` runs) on the same products of the Amazon 2020
dev file, with the kind's built-in template, and prints the rows of docs/copy-quality.md
("After issue 12"). With ``--out DIR`` each report is also saved as JSON
(``DIR/<kind>-<strategy>.json``; ``evaluate_copy --rescore`` reads them). The model is loaded
once for the whole run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomcms.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from content import prompts  # noqa: E402
from content.evaluation import harness, sources  # noqa: E402
from content.models import PromptTemplate  # noqa: E402
from ecomcms.shared_data import shared_data_path  # noqa: E402


def _ci(figure: dict, scale: float = 1.0, digits: int = 2) -> str:
    if figure is None or figure.get("value") is None:
        return "-"
    text = f"{figure['value'] * scale:.{digits}f}"
    if figure.get("ci95"):
        low, high = figure["ci95"]
        text += f" [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"
    return text


def row(m: dict) -> str:
    per_draft = m["seconds_per_draft"]
    tps = m["tokens_per_second"]
    return (f"| {m['kind']} | {m['strategy']} | {_ci(m['unsupported_claims_per_draft'])} | "
            f"{_ci(m['flagged_share'], 100, 0)} % | {_ci(m['publishable_share'], 100, 1)} % | "
            f"{_ci(m['chrf'], 1, 1)} | {_ci(m['rouge_l'], 1, 1)} | {m['distinct_2']:.3f} | "
            f"{per_draft:.2f} | {'-' if tps is None else f'{tps:.1f}'} |")


HEADER = ("| kind | strategy | unsupported claims / draft (95% CI) | flagged by checks | publishable | chrF | "
          "ROUGE-L | distinct-2 | s / draft | tokens/s |\n|---|---|---|---|---|---|---|---|---|---|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", nargs="+", default=["description", "ad_headline"])
    parser.add_argument("--strategies", nargs="+", default=["free", "guarded", "planned"])
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--products", default=None)
    parser.add_argument("--batch-size", type=int, default=None, help="Prompts per model call (default: the worker's).")
    parser.add_argument("--out", default=None, help="Save each report as JSON in this folder.")
    args = parser.parse_args()
    path = args.products or shared_data_path("content", "amazon_2020", "products_dev.csv")
    products = sources.products_read(path, "amazon2020", limit=args.limit, seed=args.seed)
    print(f"{len(products)} products of {path}, seed {args.seed}", file=sys.stderr)
    rows = []
    for kind in args.kinds:
        default = prompts.DEFAULT_TEMPLATES[kind]
        for strategy in args.strategies:
            template = PromptTemplate(kind=kind, version=0, system=default["system"], user=default["user"],
                                      options=default["options"], max_chars=default["max_chars"], strategy=strategy)
            run = harness.Settings(
                kind=kind,
                template=template,
                template_label=f"{kind} built-in default",
                strategy=strategy,
                batch_size=args.batch_size or settings.ECOMCMS_GENERATION_BATCH_SIZE,
            )
            started = time.perf_counter()
            report = harness.copy_evaluate(products, run)
            report["metrics"] = {"products": str(path), "format": "amazon2020", "limit": args.limit,
                                 "seed": args.seed} | report["metrics"]
            if args.out:
                folder = Path(args.out)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{kind}-{strategy}.json").write_text(
                    json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
            rows.append(row(report["metrics"]))
            print(f"{kind} {strategy}: {time.perf_counter() - started:.0f} s\n{rows[-1]}", file=sys.stderr, flush=True)
    print(HEADER)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
