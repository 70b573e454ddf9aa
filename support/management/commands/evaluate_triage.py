"""Train the intent classifier on a labelled dataset's training part and measure it on the rest.

    manage.py evaluate_triage --dataset PATH --format bitext|banking77|csv [--json]
        [--test PATH] [--text-column text] [--label-column label] [--oos-label NAME]
        [--open-intent RATIO[,RATIO...] --seeds N [--open-traffic SHARE]]

bitext: the fixed, stratified, seeded 80/20 split (seed 42); banking77: the folder's
train.csv and test.csv; csv: a ``text,label`` file (column names from the flags) with
``--test PATH``, or the same 80/20 split without it. With ``--oos-label``, test rows
with that label are out of scope: they count as right when the classifier's
confidence is below its threshold, which is chosen from the training data only.

With ``--open-intent RATIO``, the open-intent protocol (``support.intent.openintent``):
a random RATIO of the training intents is known (per seed 0..N-1), the classifier is
trained on their rows only, and the whole test set is scored with the other intents'
rows as out of scope: accuracy over all rows (open is one class) and macro-F1 over
known + open, mean and standard deviation over the seeds. The texts are embedded once.
Nothing is written to the database.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError

from ecomcms import inference
from support.intent.data import BITEXT_SPLIT_SEED
from support.intent.evaluate import FORMATS, load_train_test
from support.intent.evaluation import evaluate
from support.intent.openintent import open_intent_protocol


class Command(BaseCommand):
    help = "Train the intent classifier on a dataset's training part and print accuracy and macro-F1 on the rest."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, help="a CSV file (bitext, csv) or a folder (banking77)")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--test", help="csv: a separate test file (default: the seeded 80/20 split)")
        parser.add_argument("--text-column", default="text", help="csv: the text column (default text)")
        parser.add_argument("--label-column", default="label", help="csv: the label column (default label)")
        parser.add_argument("--oos-label", help="test rows with this label are out of scope and must be flagged")
        parser.add_argument(
            "--seed", type=int, default=BITEXT_SPLIT_SEED, help="split seed without --test (default 42)"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--open-intent",
            metavar="RATIO",
            type=_ratios,
            help="open-intent protocol: share(s) of the intents kept as known, e.g. 0.25 or 0.25,0.5,0.75",
        )
        parser.add_argument("--seeds", type=int, default=5, help="open-intent: seeds per ratio (default 5)")
        parser.add_argument("--open-traffic", type=float,
                            help="open-intent: share of out-of-scope traffic the classifier is tuned for "
                                 "(default: 1 - RATIO, the share the protocol creates)")

    def handle(self, *args, **options):
        started = time.perf_counter()
        args = SimpleNamespace(dataset=options["dataset"], format=options["format"], test=options["test"],
                               text_column=options["text_column"], label_column=options["label_column"],
                               seed=options["seed"])
        for path in filter(None, [args.dataset, args.test]):
            if not Path(path).exists():
                raise CommandError(f"{path}: no such file or folder")
        if args.format == "banking77" and not Path(args.dataset).is_dir():
            raise CommandError(f"{args.dataset}: --format banking77 takes the folder holding train.csv and test.csv")
        try:
            train, test = load_train_test(args)
        except (ValueError, OSError, KeyError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read the dataset: {exc}") from exc
        if not len(train) or not len(test):
            raise CommandError(f"nothing to evaluate: {len(train)} training and {len(test)} test rows")
        embedder = inference.get_embedder()
        if options["open_intent"]:
            return self.open_intent(train, test, embedder, options, started)
        try:
            result = evaluate(train.texts, train.labels, test.texts, test.labels,
                              lambda texts: embedder.embed(texts).vectors, oos_label=options["oos_label"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        result.update(dataset=args.dataset, format=args.format, oos_label=options["oos_label"],
                      embedding_model=embedder.model_id, wall_seconds=round(time.perf_counter() - started, 1))
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            self.stdout.write(self.table(result))

    def open_intent(self, train, test, embedder, options, started) -> None:
        if options["seeds"] < 1:
            raise CommandError("--seeds must be at least 1")
        if options["open_traffic"] is not None and not 0 <= options["open_traffic"] < 1:
            raise CommandError("--open-traffic must be in [0, 1)")
        embed = lambda texts: embedder.embed(texts).vectors  # noqa: E731
        results = []
        for ratio in options["open_intent"]:
            try:
                results.append(open_intent_protocol(
                    train, test, embed, ratio=ratio, seeds=options["seeds"], open_traffic=options["open_traffic"],
                    progress=lambda run: self.stderr.write(
                        f"ratio {run['ratio']} seed {run['seed']}: accuracy {run['accuracy']:.4f} "
                        f"macro-F1 {run['macro_f1']:.4f} ({run['train_seconds']} s)")))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        report = {"dataset": options["dataset"], "format": options["format"], "embedding_model": embedder.model_id,
                  "wall_seconds": round(time.perf_counter() - started, 1), "open_intent": results}
        if options["json"]:
            self.stdout.write(json.dumps(report, indent=2))
            return
        lines = ["known  accuracy (mean ± std)  macro-F1 (mean ± std)  seeds  open traffic"]
        for r in results:
            lines.append(f"{r['ratio']:>5.0%}  {100 * r['accuracy']:6.2f} ± {100 * r['accuracy_std']:.2f}"
                         f"          {100 * r['macro_f1']:6.2f} ± {100 * r['macro_f1_std']:.2f}"
                         f"          {r['seeds']:>5}  {r['open_traffic']:.2f}")
        self.stdout.write("\n".join(lines))

    @staticmethod
    def table(result: dict) -> str:
        rows = [
            ("dataset", f"{result['format']} {result['dataset']}"),
            ("accuracy", f"{result['accuracy']:.4f}"),
            ("macro-F1", f"{result['macro_f1']:.4f}"),
            ("train / test rows", f"{result['n_train']} / {result['n_test']} ({result['n_labels']} intents)"),
            ("cross-validated accuracy (train)", f"{result['cv_accuracy']:.4f}"),
            ("threshold / High from", f"{result['threshold']:.3f} / {result['high_cutoff']:.3f}"),
        ]
        if result.get("oos_label"):
            recall = result.get("oos_recall")
            rows.append(("out of scope flagged", "-" if recall is None else f"{recall:.1%}"))
        for name, bucket in result["buckets"].items():
            accuracy = "-" if bucket["accuracy"] is None else f"{bucket['accuracy']:.1%}"
            rows.append((f"bucket {name}", f"{bucket['share']:.1%} of tickets, accuracy {accuracy}"))
        rows += [
            ("seconds: train / predict / wall", f"{result['train_seconds']} / {result['predict_seconds']} / "
                                                f"{result['wall_seconds']}"),
            ("embedding model", result["embedding_model"]),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _ratios(value: str) -> list[float]:
    try:
        ratios = [float(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ratios such as 0.25 or 0.25,0.5,0.75, got {value!r}") from None
    if not ratios or not all(0 < ratio <= 1 for ratio in ratios):
        raise argparse.ArgumentTypeError(f"every ratio must be in (0, 1], got {value!r}")
    return ratios
