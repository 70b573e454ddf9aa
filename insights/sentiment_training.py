"""Train and measure the sentiment model on labelled reviews (docs/monitoring.md).

Labels come from star ratings: 1-2 negative, 3 neutral, 4-5 positive. Every split is by
product, so a product's reviews are all on one side: the test measures reviews of products
the model never saw. The validation split that tunes the class offsets is carved from the
training products, never from the test products.

Recipes (``RECIPES``): a logistic regression on the embeddings, plain or with balanced class
weights, each with or without per-class offsets tuned on the validation split for macro-F1
(neutral, about 13% of reviews, is the hard class). A version the readers use is trained through
the fine-tuning path (``insights.sentiment_finetuning``) with these functions. Baselines on the same test reviews: the
cue words alone (``ecomcms.sentiment.cue_label``) and the ticket triage's cue words plus
anchor sentences (``support.triage.sentiment``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ecomcms import sentiment as floor
from ecomcms.conf import conf
from support import triage

LABELS = floor.SENTIMENT_LABELS


def rating_label(rating: int) -> str:
    return "negative" if rating <= 2 else "neutral" if rating == 3 else "positive"


def review_text(title: str, body: str) -> str:
    title, body = (title or "").strip(), (body or "").strip()
    if title and body:
        return f"{title}. {body}"
    return title or body


@dataclass
class Dataset:
    texts: list[str]
    labels: np.ndarray  # int: index into LABELS
    products: np.ndarray  # str: product id per text


def dataset_load(path: Path) -> Dataset:
    """The women's clothing reviews file: one row per review with text and a rating (others skipped)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    texts, labels, products = [], [], []
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                rating = int(row["Rating"])
            except (TypeError, ValueError, KeyError):
                continue
            text = review_text(row.get("Title") or "", row.get("Review Text") or "")
            if not text or not 1 <= rating <= 5:
                continue
            texts.append(text)
            labels.append(LABELS.index(rating_label(rating)))
            products.append(row.get("Clothing ID") or "")
    return Dataset(texts, np.asarray(labels, dtype=np.int64), np.asarray(products))


def embeddings_cache_dir() -> Path:
    """Where the embeddings of a reviews file are kept between runs (named by model and texts)."""
    return Path(conf.ECOMCMS_DATA_DIR) / "cache" / "sentiment-embeddings"


def embeddings_cached(texts: list[str], embed: Callable[[list[str]], np.ndarray], model_id: str,
                      cache_dir: Path | None, *, batch: int = 512, progress: Callable[[int], None] | None = None
                      ) -> np.ndarray:
    """Embed every text once; with ``cache_dir`` the vectors are kept in a file named by model and texts."""
    digest = hashlib.sha256(model_id.encode() + b"\0" + "\0".join(texts).encode()).hexdigest()[:16]
    cache = cache_dir / f"embeddings-{digest}.npy" if cache_dir else None
    if cache is not None and cache.is_file():
        vectors = np.load(cache, allow_pickle=False)
        if vectors.shape[0] == len(texts):
            return vectors
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(np.asarray(embed(texts[start:start + batch]), dtype=np.float32))
        if progress:
            progress(min(start + batch, len(texts)))
    vectors = np.concatenate(parts) if parts else np.zeros((0, 0), np.float32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_suffix(".tmp.npy")
        np.save(temporary, vectors)
        temporary.replace(cache)
    return vectors


def split_by_product(products: np.ndarray, *, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (rest, held out): ``share`` of the distinct products, drawn with ``seed``."""
    distinct = sorted(set(products.tolist()))
    random.Random(seed).shuffle(distinct)
    held = set(distinct[:max(1, round(len(distinct) * share))])
    mask = np.fromiter((p in held for p in products.tolist()), dtype=bool, count=len(products))
    return ~mask, mask


# --- metrics --------------------------------------------------------------------------------------

def scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Accuracy, macro-F1 and the F1 of each class."""
    result = {"accuracy": float((truth == predicted).mean()) if len(truth) else 0.0}
    f1s = []
    for index, label in enumerate(LABELS):
        tp = float(((predicted == index) & (truth == index)).sum())
        fp = float(((predicted == index) & (truth != index)).sum())
        fn = float(((predicted != index) & (truth == index)).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        result[f"f1_{label}"] = f1
        f1s.append(f1)
    result["macro_f1"] = float(np.mean(f1s))
    return result


def bootstrap_interval(truth: np.ndarray, predicted: np.ndarray, products: np.ndarray, *, metric: str,
                       resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% interval of ``metric``, resampling whole products (reviews of a product are not independent)."""
    rng = np.random.default_rng(seed)
    distinct, inverse = np.unique(products, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == i) for i in range(len(distinct))]
    values = []
    for _ in range(resamples):
        chosen = rng.integers(0, len(distinct), len(distinct))
        rows = np.concatenate([rows_of[i] for i in chosen])
        values.append(scores(truth[rows], predicted[rows])[metric])
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


# --- fitting --------------------------------------------------------------------------------------

RECIPES = ("logreg", "logreg+offsets", "logreg-balanced", "logreg-balanced+offsets")
DEFAULT_RECIPE = "logreg-balanced+offsets"
OFFSET_GRID = np.round(np.arange(-1.5, 2.01, 0.1), 2)


def _fit(vectors: np.ndarray, labels: np.ndarray, *, balanced: bool, c: float = 1.0):
    from sklearn.linear_model import LogisticRegression  # training only: serving is numpy

    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None)
    model.fit(vectors, labels)
    return model


def tune_offsets(probabilities: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per-class offsets on the log-probabilities (positive fixed at 0) that maximize macro-F1."""
    logs = np.log(np.clip(probabilities, 1e-12, None))
    best, best_f1 = np.zeros(3, np.float32), -1.0
    for negative in OFFSET_GRID:
        for neutral in OFFSET_GRID:
            offsets = np.array([negative, neutral, 0.0], np.float32)
            f1 = scores(truth, (logs + offsets).argmax(axis=1))["macro_f1"]
            if f1 > best_f1 + 1e-9:
                best, best_f1 = offsets, f1
    return best


def fit_recipe(recipe: str, vectors: np.ndarray, labels: np.ndarray, products: np.ndarray, *, seed: int,
               validation_share: float = 0.2, embedding_model: str = "") -> floor.SentimentClassifier:
    """Fit one recipe on the given (training) rows; offsets are tuned on products carved from them."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; one of {', '.join(RECIPES)}")
    balanced, tuned = "balanced" in recipe, recipe.endswith("+offsets")
    offsets = np.zeros(3, np.float32)
    if tuned:
        fit_rows, validation_rows = split_by_product(products, share=validation_share, seed=seed + 1000)
        model = _fit(vectors[fit_rows], labels[fit_rows], balanced=balanced)
        offsets = tune_offsets(model.predict_proba(vectors[validation_rows]), labels[validation_rows])
    # The final weights see every training row; the offsets carry over from the held-back fit.
    model = _fit(vectors, labels, balanced=balanced)
    return floor.SentimentClassifier(model.coef_.astype(np.float32), model.intercept_.astype(np.float32),
                                     offsets, LABELS, embedding_model, {"recipe": recipe})


def predict_indices(classifier: floor.SentimentClassifier, vectors: np.ndarray) -> np.ndarray:
    labels, _ = classifier.predict(vectors)
    return np.asarray([LABELS.index(label) for label in labels], dtype=np.int64)


def cue_predictions(texts: list[str]) -> np.ndarray:
    return np.asarray([LABELS.index(floor.cue_label(t)) for t in texts], dtype=np.int64)


def triage_predictions(texts: list[str], vectors: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
    return np.asarray([LABELS.index(triage.sentiment(t, v, prototypes).value) for t, v in zip(texts, vectors)],
                      dtype=np.int64)


# --- the evaluation ---------------------------------------------------------------------------------

def evaluate(data: Dataset, vectors: np.ndarray, *, prototypes: np.ndarray, seeds: list[int],
             test_share: float = 0.2, recipes=RECIPES, resamples: int = 1000) -> dict:
    """Every method on the same test products per seed: mean, sd and range over seeds, and the
    first seed's 95% product-bootstrap interval, for accuracy and macro-F1."""
    per_method: dict[str, list[dict]] = {}
    intervals: dict[str, dict] = {}
    split_sizes = []

    def cues(train, test, seed):
        return cue_predictions([data.texts[i] for i in np.flatnonzero(test)])

    def anchors(train, test, seed):
        return triage_predictions([data.texts[i] for i in np.flatnonzero(test)], vectors[test], prototypes)

    def fitted(recipe: str) -> Callable:
        def predict(train, test, seed):
            classifier = fit_recipe(recipe, vectors[train], data.labels[train], data.products[train], seed=seed)
            return predict_indices(classifier, vectors[test])
        return predict

    methods: dict[str, Callable] = {"cue words": cues, "cue words + anchors (ticket triage)": anchors}
    methods.update({recipe: fitted(recipe) for recipe in recipes})
    for number, seed in enumerate(seeds):
        train, test = split_by_product(data.products, share=test_share, seed=seed)
        split_sizes.append({"seed": seed, "train_reviews": int(train.sum()), "test_reviews": int(test.sum()),
                            "test_products": int(len(set(data.products[test].tolist())))})
        truth = data.labels[test]
        for name, method in methods.items():
            predicted = method(train, test, seed)
            per_method.setdefault(name, []).append(scores(truth, predicted))
            if number == 0:
                intervals[name] = {metric: bootstrap_interval(truth, predicted, data.products[test], metric=metric,
                                                              resamples=resamples, seed=seed)
                                   for metric in ("accuracy", "macro_f1")}
    summary = {}
    for name, runs in per_method.items():
        summary[name] = {}
        for metric in runs[0]:
            values = np.array([run[metric] for run in runs])
            summary[name][metric] = {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1
                                     else 0.0, "min": float(values.min()), "max": float(values.max())}
        summary[name]["interval_first_seed"] = intervals[name]
    labels_share = {label: float((data.labels == i).mean()) for i, label in enumerate(LABELS)}
    return {"reviews": len(data.texts), "products": int(len(set(data.products.tolist()))), "seeds": seeds,
            "test_share": test_share, "splits": split_sizes, "label_share": labels_share, "methods": summary}
