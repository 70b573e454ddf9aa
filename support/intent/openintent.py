"""The open-intent protocol of the literature (ADB, Zhang, Xu, Lin, AAAI 2021), on the product's classifier.

Keep a random ``ratio`` of the training set's intents as known, train on their
training rows only, and test on the whole test set with the other intents' rows
labelled out of scope ("open"). Accuracy is over all test rows with open as one
class; macro-F1 is over the known intents + open. Repeated over seeds 0..N-1;
the known intents of seed ``s`` are ``numpy.random.RandomState(s)``'s choice.
A test row counts as predicted open when the classifier says it needs a person
(out of scope, or below its Low threshold), which is what the product does with it.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from support.intent.classifier import IntentClassifier
from support.intent.data import LabelledTexts
from support.intent.embedding import Embed, embed_checked
from support.intent.openset import macro_f1

OPEN = "<open>"


def known_intents(labels: list[str], ratio: float, seed: int) -> list[str]:
    """A random ``ratio`` of the distinct labels (at least two), sorted."""
    if not 0 < ratio <= 1:
        raise ValueError(f"the known ratio must be in (0, 1], got {ratio}")
    intents = sorted(set(labels))
    count = max(2, int(round(len(intents) * ratio)))
    return sorted(np.random.RandomState(seed).choice(intents, count, replace=False).tolist())


def open_scores(truth: list[str], predicted: list[str], known: list[str]) -> dict:
    """Accuracy over all rows (unknown intents and ``OPEN`` are one class) and macro-F1 over known + open."""
    classes = {label: index for index, label in enumerate(sorted(known))}
    open_index = len(classes)
    truth_idx = np.array([classes.get(label, open_index) for label in truth])
    predicted_idx = np.array([classes.get(label, open_index) for label in predicted])
    is_open = truth_idx == open_index
    return {
        "accuracy": float((truth_idx == predicted_idx).mean()) if len(truth_idx) else 0.0,
        "macro_f1": macro_f1(truth_idx, predicted_idx, open_index + 1) if len(truth_idx) else 0.0,
        "open_recall": float((predicted_idx[is_open] == open_index).mean()) if is_open.any() else None,
        "known_accuracy": float((predicted_idx[~is_open] == truth_idx[~is_open]).mean()) if (~is_open).any() else None,
    }


def cached(embed: Embed, texts: list[str]) -> Embed:
    """Embed ``texts`` once; the returned function serves them from memory (others are embedded on demand)."""
    unique = list(dict.fromkeys(texts))
    vectors = embed_checked(embed, unique)
    index = {text: row for row, text in enumerate(unique)}

    def lookup(batch: list[str]) -> np.ndarray:
        if all(text in index for text in batch):
            return vectors[[index[text] for text in batch]] if batch else vectors[:0]
        return embed(batch)

    return lookup


def open_intent_run(train: LabelledTexts, test: LabelledTexts, embed: Embed, *, ratio: float, seed: int,
                    open_traffic: float | None) -> dict:
    """One ratio and seed: train on the known intents' rows, score every test row."""
    known = known_intents(train.labels, ratio, seed)
    keep = set(known)
    rows = [(text, label) for text, label in zip(train.texts, train.labels) if label in keep]
    started = time.perf_counter()
    model = IntentClassifier(seed=seed, open_traffic=open_traffic).fit(
        [text for text, _ in rows], [label for _, label in rows], embed)
    train_seconds = time.perf_counter() - started
    predictions = model.predict(list(test.texts), embed)
    predicted = [OPEN if p.needs_human else p.label for p in predictions]
    return {
        "ratio": ratio, "seed": seed, "known": len(known), "n_train": len(rows), "n_test": len(test),
        **open_scores(list(test.labels), predicted, known),
        "out_of_scope_share": sum(p.out_of_scope for p in predictions) / max(len(predictions), 1),
        "min_similarity": model.open_rule.min_similarity, "similarity_weight": model.open_rule.similarity_weight,
        "min_combined": model.open_rule.min_combined, "intent_quantile": model.open_rule.intent_quantile,
        "train_seconds": round(train_seconds, 1),
    }


def open_intent_protocol(train: LabelledTexts, test: LabelledTexts, embed: Embed, *, ratio: float, seeds: int,
                         open_traffic: float | None = None, progress=None) -> dict:
    """``seeds`` runs at one ratio, with mean and standard deviation of accuracy and macro-F1.

    ``open_traffic`` None means the share of out-of-scope rows the protocol creates by design,
    ``1 - ratio`` (the test set has about as many rows per intent); it is a setting of the
    classifier, not something read from the test labels.
    """
    share = (1 - ratio) if open_traffic is None else open_traffic
    embed = cached(embed, list(train.texts) + list(test.texts))
    runs = []
    for seed in range(seeds):
        runs.append(open_intent_run(train, test, embed, ratio=ratio, seed=seed, open_traffic=share))
        if progress:
            progress(runs[-1])
    summary = {"ratio": ratio, "seeds": seeds, "open_traffic": share, "runs": runs}
    for key in ("accuracy", "macro_f1"):
        values = [run[key] for run in runs]
        summary[key] = statistics.fmean(values)
        summary[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return summary
