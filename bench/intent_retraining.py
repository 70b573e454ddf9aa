"""Retraining the intent classifier from staff decisions, measured on banking77 with the real MiniLM embedder.

    .venv/bin/python bench/intent_retraining.py [--data ../shared/data/support/banking77] [--limit N] [--json]

On a throwaway SQLite database:

1. banking77 ``train.csv`` is imported as labels (``intent_labels_import``), and version 1 of
   ``support.intent`` is trained through the product's path (``intent_model_train``): compared with
   zero-shot matching (no version active yet) on the seeded 20% held-out slice.
2. Simulated staff: ``test.csv`` is split in two halves by a seeded hash. On the first half
   ("the staff period") v1 predicts each ticket; where it is wrong, says "none of these" or is
   Low, a person sets the right intent: a staff label. Version 2 is trained on everything, and the
   gate compares it with v1 on the held-out slice (now with its share of staff labels too).
3. Both versions are scored on the second half of ``test.csv``, which no version and no label
   ever saw: accuracy with a 95% bootstrap interval, and macro-F1.

Prints data counts, training seconds and the metrics of each version.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["ECOMCMS_DATA_DIR"] = tempfile.mkdtemp(prefix="ecomcms-bench-intents-")
os.environ.pop("DATABASE_URL", None)
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomcms.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from ecomcms.assign import stable_fraction  # noqa: E402
from ecomcms.shared_data import shared_data_path  # noqa: E402
from support import intent_finetuning as finetuning, services  # noqa: E402
from support.intent import IntentClassifier, load_banking77  # noqa: E402
from support.models import IntentLabel  # noqa: E402
from support.privacy import redact_text  # noqa: E402


def _summary(version) -> dict:
    metrics = version.metrics or {}
    return {"version": str(version), "status": version.status, "active": version.is_active, "data": version.data,
            "training_seconds": (version.progress or {}).get("seconds"), "run_seconds": round(version.seconds or 0, 1),
            "active_model_on_slice": metrics.get("base"), "this_version_on_slice": metrics.get("adapter"),
            "gate": metrics.get("gate"), "error": version.error}


def _score(version, texts: list[str], truth: list[str]) -> dict:
    """Accuracy (95% bootstrap interval) and macro-F1 on texts no version or label ever saw."""
    items = [finetuning.Labelled(text, intent, "import", "") for text, intent in zip(texts, truth)]
    return finetuning.intent_evaluate(items, version.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(shared_data_path("support", "banking77")))
    parser.add_argument("--limit", type=int, help="use only the first N training rows (a quicker run)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    train, test = load_banking77(args.data)
    rows = list(zip(train.texts, train.labels))[:args.limit] if args.limit else list(zip(train.texts, train.labels))
    started = time.perf_counter()
    services.intent_labels_import(rows=rows)
    report: dict = {"imported_labels": len(rows)}

    first = services.intent_model_train(actor=None)
    report["v1"] = _summary(first)
    print(json.dumps(report["v1"], default=str), flush=True)

    staff_half, check_half = [], []
    for text, intent in zip(test.texts, test.labels):
        (staff_half if stable_fraction("bench-staff", text) < 0.5 else check_half).append((text, intent))
    classifier = IntentClassifier.load(finetuning.classifier_file(first.path))
    predictions = classifier.predict([redact_text(t).text for t, _ in staff_half], finetuning._embed)
    overrides = [IntentLabel(text=redact_text(text).text, intent=intent, source=IntentLabel.Source.STAFF)
                 for (text, intent), p in zip(staff_half, predictions)
                 if p.out_of_scope or p.label != intent or p.bucket == "Low"]
    IntentLabel.objects.bulk_create(overrides)
    report["staff_period"] = {"tickets": len(staff_half), "staff_overrides": len(overrides),
                              "v1_wrong_or_unsure_share": round(len(overrides) / max(len(staff_half), 1), 4)}
    print(json.dumps(report["staff_period"]), flush=True)

    second = services.intent_model_train(actor=None)
    report["v2"] = _summary(second)
    print(json.dumps(report["v2"], default=str), flush=True)

    texts, truth = [redact_text(t).text for t, _ in check_half], [i for _, i in check_half]
    report["unseen_half_of_test"] = {"rows": len(texts), "v1": _score(first, texts, truth),
                                     "v2": _score(second, texts, truth)}
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report["unseen_half_of_test"], default=str), flush=True)
    if args.json:
        print(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
