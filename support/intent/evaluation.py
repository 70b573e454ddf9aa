"""Train-then-test measurement of the intent classifier, optionally with out-of-scope rows."""

from __future__ import annotations

import time

from sklearn.metrics import accuracy_score, f1_score

from support.intent.classifier import IntentClassifier
from support.intent.embedding import Embed
from support.intent.prediction import HIGH, LOW, MEDIUM, Prediction


def evaluate(
    train_texts: list[str],
    train_labels: list[str],
    test_texts: list[str],
    test_labels: list[str],
    embed: Embed,
    oos_label: str | None = None,
) -> dict:
    """Fit on the training rows, predict the test rows, and report accuracy and macro-F1.

    Without ``oos_label`` the score is plain top-1 accuracy (the bucket is ignored).
    With it, rows labelled ``oos_label`` are dropped from training, and every
    prediction below the threshold is read as ``oos_label``: an out-of-scope test
    row is right when it was flagged, an in-scope one only when its label is right
    AND it was not flagged; ``oos_recall`` is the share of out-of-scope rows flagged.
    ``train_seconds`` includes embedding the training texts.
    """
    train_pairs = [(t, y) for t, y in zip(train_texts, train_labels) if y != oos_label]
    started = time.perf_counter()
    model = IntentClassifier().fit([t for t, _ in train_pairs], [y for _, y in train_pairs], embed)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predictions = model.predict(list(test_texts), embed)
    predict_seconds = time.perf_counter() - started
    predicted = [_as_label(p, oos_label) for p in predictions]
    result = {
        "accuracy": float(accuracy_score(test_labels, predicted)),
        "macro_f1": float(f1_score(test_labels, predicted, average="macro", zero_division=0)),
        "train_seconds": round(train_seconds, 2),
        "predict_seconds": round(predict_seconds, 2),
        "n_train": len(train_pairs),
        "n_test": len(test_texts),
        "n_labels": len(model.labels),
        "cv_accuracy": model.cv_accuracy,
        "threshold": model.threshold,
        "high_cutoff": model.cutoffs.high,
        "temperature": model.temperature,
        "buckets": _bucket_report(predictions, test_labels),
    }
    if oos_label is not None:
        result["oos_recall"] = _oos_recall(predicted, test_labels, oos_label)
    return result


def _as_label(prediction: Prediction, oos_label: str | None) -> str:
    return oos_label if oos_label is not None and prediction.needs_human else prediction.label


def _oos_recall(predicted: list[str], truth: list[str], oos_label: str) -> float | None:
    """Share of the out-of-scope test rows that were flagged (None when the test has none)."""
    flags = [p == oos_label for p, y in zip(predicted, truth) if y == oos_label]
    return sum(flags) / len(flags) if flags else None


def _bucket_report(predictions: list[Prediction], truth: list[str]) -> dict:
    """Share of test rows per bucket and top-1 accuracy inside it: does High really mean reliable?"""
    report = {}
    for bucket in (HIGH, MEDIUM, LOW):
        rows = [p.label == y for p, y in zip(predictions, truth) if p.bucket == bucket]
        report[bucket] = {
            "share": len(rows) / max(len(truth), 1),
            "accuracy": sum(rows) / len(rows) if rows else None,
        }
    return report
