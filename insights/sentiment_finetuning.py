"""The sentiment model as a fine-tuning purpose, ``insights.sentiment`` (docs/monitoring.md, docs/finetuning.md).

Registered with the runtime's one versioned, gated path (``ecomcms.finetune``) by
``InsightsConfig.ready()``: every training is an ``ecomcms.models.Adapter`` version with its data
counts, training seconds and held-out metrics next to the cue words', activated only when it does
not score worse than the active version on the same held-out reviews, and rolled back in
*Runtime > Adapters* like any other purpose. The readers (review import, ticket triage) sit below
the apps and ask ``ecomcms.sentiment.active_classifier``, which loads the active version.

Data: a reviews CSV whose stars give the label (1-2 negative, 3 neutral, 4-5 positive; the shared
women's clothing file by default, ``insights.sentiment_training.dataset_load``). The held-out slice
is a ``holdout`` share of the *products*, chosen by a seeded hash of the product id, so all of a
product's reviews are on one side, a product stays on its side as the file grows, and two versions
trained on the same file and seed are compared on the same reviews; the trainer never sees them.
Each review is embedded once (cached on disk by model and texts).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ecomcms import inference, sentiment as floor
from ecomcms.assign import stable_fraction
from ecomcms.finetune import registry
from ecomcms.shared_data import shared_data_path
from insights import sentiment_training as training

PURPOSE = floor.PURPOSE  # "insights.sentiment": the floor reads its active version
LABELS = training.LABELS


def default_reviews_file() -> Path:
    return shared_data_path("reviews", "womens_clothing", "reviews_dev.csv.gz")


@dataclass(frozen=True)
class Labelled:
    """One review: its text, its label (index into ``LABELS``), its product, its embedding."""

    text: str
    label: int
    product: str
    vector: np.ndarray


def is_held_out(product: str, *, seed: int, share: float) -> bool:
    return stable_fraction(PURPOSE, seed, product) < share


def sentiment_dataset(parameters: dict) -> registry.Dataset:
    """The reviews of ``parameters["path"]`` (first ``limit`` rows), embedded, split by product."""
    path = Path(parameters.get("path") or default_reviews_file())
    seed, share = int(parameters.get("seed", 0)), float(parameters.get("holdout", 0.2))
    data = training.dataset_load(path)  # FileNotFoundError: the run fails with the path in its reason
    limit = int(parameters.get("limit") or 0)
    if limit:
        data = training.Dataset(data.texts[:limit], data.labels[:limit], data.products[:limit])
    embedder = inference.get_embedder()
    cache = training.embeddings_cache_dir() if parameters.get("cache", True) else None
    vectors = training.embeddings_cached(data.texts, lambda t: embedder.embed(t).vectors, embedder.model_id, cache)
    train, held_out = [], []
    for text, label, product, vector in zip(data.texts, data.labels.tolist(), data.products.tolist(), vectors):
        item = Labelled(text, int(label), str(product), vector)
        (held_out if is_held_out(item.product, seed=seed, share=share) else train).append(item)
    train_products = {item.product for item in train}
    if len(train_products) < 5 or len({item.label for item in train}) < 3:
        raise ValueError(f"too few reviews to train on in {path}: {len(train)} reviews of {len(train_products)} "
                         f"products outside the held-out slice (need 5 products and all three labels)")
    counts = {"source": str(path), "reviews": len(data.texts), "train_products": len(train_products),
              "held_out_products": len({item.product for item in held_out}),
              **{f"train_{name}": sum(item.label == i for item in train) for i, name in enumerate(LABELS)}}
    return registry.Dataset(train=train, held_out=held_out, counts=counts)


def _arrays(items) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    vectors = np.stack([item.vector for item in items]).astype(np.float32)
    return (vectors, np.asarray([item.label for item in items], dtype=np.int64),
            np.asarray([item.product for item in items]))


def sentiment_train(train, output: Path, parameters: dict, on_step: registry.OnStep) -> registry.TrainingResult:
    """Fit the recipe (``insights.sentiment_training.fit_recipe``) and save it as ``<output>/sentiment.*``."""
    embedder = inference.get_embedder()
    started = time.perf_counter()
    recipe, seed = parameters.get("recipe") or training.DEFAULT_RECIPE, int(parameters.get("seed", 0))
    vectors, labels, products = _arrays(train)
    classifier = training.fit_recipe(recipe, vectors, labels, products, seed=seed, embedding_model=embedder.model_id)
    probabilities = classifier.probabilities(vectors)
    loss = float(-np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, None)).mean())
    classifier.meta.update({"trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed,
                            "offsets": [round(float(x), 2) for x in classifier.offsets],
                            "train_reviews": len(train), "train_products": len(set(products.tolist()))})
    output.mkdir(parents=True, exist_ok=True)
    classifier.save(output / floor.MODEL_FILE)
    seconds = time.perf_counter() - started
    on_step(1, 1, loss)  # the "loss": cross-entropy on the training reviews
    return registry.TrainingResult(steps=1, examples=len(train), seconds=seconds, losses=[round(loss, 4)],
                                   base_model=embedder.model_id)


def sentiment_evaluate(held_out, path: str, *, resamples: int = 1000) -> dict:
    """Accuracy and macro-F1 (95% intervals resampling whole products) on the held-out reviews of the version at
    ``path`` ("" = what the readers use with no version: the cue words), with the cue words' on the same reviews.

    A version trained on another embedding model is not used by the readers (they fall back to the cue words),
    so it is measured as the cue words too, and says so."""
    if not held_out:
        return {"held_out": 0, "model": "-"}
    started = time.perf_counter()
    vectors, truth, products = _arrays(held_out)
    cues = training.cue_predictions([item.text for item in held_out])
    model, predicted = "cue words", cues
    if path:
        classifier = floor.SentimentClassifier.load(floor.model_path(path))
        loaded = inference.get_embedder().model_id
        if classifier.embedding_model == loaded:
            model, predicted = f"model ({classifier.meta.get('recipe', '?')})", training.predict_indices(
                classifier, vectors)
        else:
            model = f"cue words (the version was trained on {classifier.embedding_model!r}, not {loaded!r})"
    measured, cue_scores = training.scores(truth, predicted), training.scores(truth, cues)
    result = {"model": model, "held_out": len(held_out), "held_out_products": len(set(products.tolist()))}
    for key in ("accuracy", "macro_f1"):
        low, high = training.bootstrap_interval(truth, predicted, products, metric=key, resamples=resamples)
        result[key] = {"value": round(measured[key], 4), "ci95": [round(low, 4), round(high, 4)]}
    result |= {f"f1_{label}": round(measured[f"f1_{label}"], 4) for label in LABELS}
    result |= {"cue_words_accuracy": round(cue_scores["accuracy"], 4),
               "cue_words_macro_f1": round(cue_scores["macro_f1"], 4),
               "seconds": round(time.perf_counter() - started, 2)}
    return result


def _value(metrics: dict, key: str) -> float | None:
    value = metrics.get(key)
    return value.get("value") if isinstance(value, dict) else value


def sentiment_gate(active: dict, candidate: dict) -> tuple[bool, list[str]]:
    """Not worse than the active version (or the cue words) on the same held-out reviews: accuracy and macro-F1
    each at least the active one's."""
    if not candidate.get("held_out"):
        return False, ["no held-out reviews to compare on: give a file with more products"]
    reasons, verdicts = [], []
    for key, name in (("accuracy", "accuracy"), ("macro_f1", "macro-F1")):
        new, old = _value(candidate, key), _value(active, key) or 0.0
        if new is None:
            return False, [f"{name} was not measured"]
        if new < old:
            reasons.append(f"{name} {new:.3f} vs {old:.3f} for the active model: worse")
        else:
            verdicts.append(f"{name} {new:.3f} >= {old:.3f}")
    if reasons:
        return False, reasons
    return True, [f"{'; '.join(verdicts)} on {candidate['held_out']} held-out reviews of "
                  f"{candidate.get('held_out_products', '?')} products"]


registry.register(registry.Purpose(
    name=PURPOSE, label="Sentiment of reviews and tickets", dataset=sentiment_dataset, trainer=sentiment_train,
    evaluate=sentiment_evaluate, gate=sentiment_gate,
    defaults={"holdout": 0.2, "seed": 0, "recipe": training.DEFAULT_RECIPE, "path": "", "limit": 0},
    shown_metrics=(("accuracy", "accuracy"), ("macro-F1", "macro_f1"), ("F1 negative", "f1_negative"),
                   ("F1 neutral", "f1_neutral"), ("F1 positive", "f1_positive"),
                   ("cue words: accuracy (same reviews)", "cue_words_accuracy"),
                   ("cue words: macro-F1 (same reviews)", "cue_words_macro_f1"),
                   ("held-out reviews", "held_out"), ("held-out products", "held_out_products")),
))
