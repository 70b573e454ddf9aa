"""Command line: train and test the intent classifier on a labelled file with MiniLM embeddings.

    python -m support.intent.evaluate --dataset PATH --format bitext|banking77|csv
        [--test PATH] [--text-column text] [--label-column label] [--oos-label NAME] [--json]

``banking77`` takes the folder holding ``train.csv`` and ``test.csv``. For ``bitext``
and ``csv`` without ``--test``, the file is split 80/20 with the fixed, stratified,
seeded split of ``data.stratified_split`` (seed 42). ``main(argv)`` returns the
result dict so a Django management command can call it directly.
"""

from __future__ import annotations

import argparse
import json
import sys

from support.intent.data import (
    BITEXT_SPLIT_SEED,
    BITEXT_TEST_FRACTION,
    LabelledTexts,
    load_banking77,
    load_bitext,
    load_csv,
    stratified_split,
)
from support.intent.embedding import minilm_embedder
from support.intent.evaluation import evaluate

FORMATS = ("bitext", "banking77", "csv")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m support.intent.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", required=True, help="CSV file (bitext, csv) or folder (banking77)")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--test", help="separate test CSV in the same format (default: seeded 80/20 split)")
    parser.add_argument("--text-column", default="text", help="csv format only")
    parser.add_argument("--label-column", default="label", help="csv format only")
    parser.add_argument("--oos-label", help="label meaning out of scope: excluded from training, must be flagged")
    parser.add_argument("--seed", type=int, default=BITEXT_SPLIT_SEED, help="split seed when there is no --test")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser.parse_args(argv)


def load_train_test(args: argparse.Namespace) -> tuple[LabelledTexts, LabelledTexts]:
    """The train and test rows the arguments name; a single file is split with the fixed seeded split."""
    if args.format == "banking77":
        return load_banking77(args.dataset)
    read = load_bitext if args.format == "bitext" else lambda p: load_csv(p, args.text_column, args.label_column)
    if args.test:
        return read(args.dataset), read(args.test)
    return stratified_split(read(args.dataset), BITEXT_TEST_FRACTION, args.seed)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    train, test = load_train_test(args)
    embed = minilm_embedder(batch_size=32)
    result = evaluate(train.texts, train.labels, test.texts, test.labels, embed, oos_label=args.oos_label)
    result.update(dataset=args.dataset, format=args.format, oos_label=args.oos_label)
    print(json.dumps(result, indent=2) if args.json else _summary(result))
    return result


def _summary(result: dict) -> str:
    buckets = ", ".join(
        f"{name} {b['share']:.1%}" + (f" (acc {b['accuracy']:.1%})" if b["accuracy"] is not None else "")
        for name, b in result["buckets"].items()
    )
    return (
        f"{result['format']} {result['dataset']}\n"
        f"  accuracy {result['accuracy']:.4f}  macro-F1 {result['macro_f1']:.4f}\n"
        f"  train {result['n_train']} rows in {result['train_seconds']:.1f} s, test {result['n_test']} rows, "
        f"{result['n_labels']} labels\n"
        f"  threshold {result['threshold']:.3f}, High from {result['high_cutoff']:.3f}; buckets: {buckets}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
