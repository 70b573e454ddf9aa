"""Sentiment of a customer's text: the active trained model when there is one, else the cue words.

Two readers, one place: support triage (tickets) and the review import (content) both ask
here, so this module sits on the floor and imports no app.

* **The model**: a multinomial logistic regression on the text's embedding (the shared
  embedder, all-MiniLM-L6-v2 by default), trained on labelled reviews as the fine-tuning purpose
  ``insights.sentiment`` (``insights.sentiment_finetuning``; ``manage.py train_sentiment`` or
  *Runtime > Adapters*). Each training is an ``ecomcms.models.Adapter`` version whose folder holds
  ``sentiment.npz`` (plain arrays, no pickle) and ``sentiment.json`` (the recipe); it is activated
  only when its gate passed, and rolled back like every purpose (``ecomcms.finetune``). The active
  version is used automatically, loaded once per process (again only when another version becomes
  active), and only with the embedding model it was trained on.
* **The cue words**: counts of listed complaint and praise words (``sentiment_cues``), the
  fallback when no version is active. Tickets add their anchor-sentence comparison on top
  (``support.triage.sentiment``).

Measured against each other on held-out products: docs/monitoring.md.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SENTIMENT_LABELS = ("negative", "neutral", "positive")

# --- cue words ------------------------------------------------------------------------------------

NEGATIVE_WORDS = frozenset("""
angry furious annoyed upset disappointed disappointing unacceptable terrible horrible awful worst ridiculous
outrageous useless disgusting scam rude incompetent pathetic frustrated frustrating fed never again complaint
complain lawyer unhappy dissatisfied shocking nightmare joke waste hate enttäuscht ärgerlich unverschämt
inacceptable déçu furieux scandaleux decepcionado inaceptable pésimo
""".split())
NEGATIVE_PHRASES = ("fed up", "still waiting", "still not", "no one answers", "nobody answers", "want my money back",
                    "worst service", "never again", "not happy", "very bad", "third time", "second time")
POSITIVE_WORDS = frozenset("""
grateful great excellent amazing wonderful love lovely perfect awesome fantastic happy pleased
delighted appreciate appreciated brilliant superb
""".split())
#: "Thanks" closes most tickets, angry ones included: it only adds to another positive word.
THANKS_WORDS = frozenset("thanks thank danke merci gracias grazie obrigado bedankt tack".split())
#: Polite openers and closers that say nothing about the mood ("thanks in advance").
POLITE_PHRASES = ("thanks in advance", "thank you in advance", "thanks for your help", "thank you for your help",
                  "many thanks", "thanks,", "thank you,", "kind regards", "best regards")

_PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(_PLACEHOLDER.sub(" ", text))]


def sentiment_cues(text: str) -> tuple[int, int]:
    """(negative, positive) cue counts: listed words and phrases, shouting, and "!!"."""
    lowered = " ".join(text.lower().split())
    for phrase in POLITE_PHRASES:
        lowered = lowered.replace(phrase, " ")
    tokens = _words(lowered)
    negative = sum(t in NEGATIVE_WORDS for t in tokens) + sum(p in lowered for p in NEGATIVE_PHRASES)
    positive = sum(t in POSITIVE_WORDS for t in tokens)
    if positive:
        positive += sum(t in THANKS_WORDS for t in tokens)
    shouted = [w for w in _WORD.findall(_PLACEHOLDER.sub(" ", text)) if len(w) >= 4 and w.isupper()]
    negative += (len(shouted) >= 2) + ("!!" in text)
    if re.search(r"\bnot\s+(?:happy|pleased|great|good)\b", lowered):
        positive = max(0, positive - 1)
    return negative, positive


def cue_label(text: str) -> str:
    """The cue words' reading: more complaint cues is negative, more praise is positive, a tie neutral."""
    negative, positive = sentiment_cues(text)
    return "negative" if negative > positive else "positive" if positive > negative else "neutral"


# --- the trained model ----------------------------------------------------------------------------

FORMAT = 1


def confidence_bucket(probability: float) -> str:
    """The triage confidence buckets for a model probability."""
    return "high" if probability >= 0.8 else "medium" if probability >= 0.6 else "low"


@dataclass
class SentimentClassifier:
    """Softmax over ``vectors @ coef.T + intercept + offsets``; rows in ``labels`` order.

    ``offsets`` are per-class shifts of the decision tuned on a validation split (zeros when
    not tuned): they move the boundaries without retraining, which is how the rare neutral
    class gets its share of predictions.
    """

    coef: np.ndarray  # (classes, dimensions) float32
    intercept: np.ndarray  # (classes,) float32
    offsets: np.ndarray  # (classes,) float32
    labels: tuple[str, ...] = SENTIMENT_LABELS
    embedding_model: str = ""
    meta: dict = field(default_factory=dict)  # version, recipe, metrics, trained_at

    @property
    def version(self) -> int | None:
        return self.meta.get("version")

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Class probabilities (before the offsets) for unit-length embeddings."""
        logits = np.asarray(vectors, dtype=np.float32) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Labels (after the offsets) and the probabilities they come from."""
        probabilities = self.probabilities(vectors)
        decision = np.log(np.clip(probabilities, 1e-12, None)) + self.offsets
        return [self.labels[i] for i in decision.argmax(axis=1)], probabilities

    def save(self, path: Path) -> None:
        """Write ``<path>.npz`` (arrays) and ``<path>.json`` (labels, model id, meta), each atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path.with_suffix(".npz"), lambda handle: np.savez(
            handle, coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32),
            offsets=self.offsets.astype(np.float32)))
        document = {"format": FORMAT, "labels": list(self.labels), "embedding_model": self.embedding_model,
                    **self.meta}
        _write_atomically(path.with_suffix(".json"),
                          lambda handle: handle.write(json.dumps(document, indent=2, sort_keys=True).encode()))

    @classmethod
    def load(cls, path: Path) -> SentimentClassifier:
        document = json.loads(path.with_suffix(".json").read_text())
        with np.load(path.with_suffix(".npz"), allow_pickle=False) as arrays:
            coef, intercept, offsets = arrays["coef"], arrays["intercept"], arrays["offsets"]
        meta = {k: v for k, v in document.items() if k not in ("format", "labels", "embedding_model")}
        return cls(coef, intercept, offsets, tuple(document["labels"]), document["embedding_model"], meta)


def _write_atomically(path: Path, write) -> None:
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False)
    try:
        with handle:
            write(handle)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


#: The fine-tuning purpose whose active version is the sentiment model (registered by ``insights``; the floor
#: only reads its active version, ``ecomcms.finetune``).
PURPOSE = "insights.sentiment"
MODEL_FILE = "sentiment"  # <version folder>/sentiment.npz and sentiment.json


def model_path(path: str | Path) -> Path:
    """The classifier of a version (``<folder>/sentiment``, saved as ``.npz`` + ``.json``), or ``path`` itself
    when it names the files (versions imported from the store before ``ecomcms.finetune``)."""
    candidate = Path(path)
    return candidate if candidate.with_suffix(".npz").is_file() else candidate / MODEL_FILE


_lock = threading.Lock()
_loaded: dict[tuple, SentimentClassifier] = {}


def active_classifier(embedding_model: str) -> SentimentClassifier | None:
    """The active version of ``insights.sentiment`` if it was trained on ``embedding_model``, else None (then the
    cue words read). Loaded once per process, again only when the active version or its file changes."""
    from ecomcms.finetune.selectors import adapter_active  # the ORM only when a model is asked for

    adapter = adapter_active(PURPOSE)
    if adapter is None or not adapter.path:
        return None
    path = model_path(adapter.path)
    try:
        key = (adapter.pk, str(path), path.with_suffix(".npz").stat().st_mtime_ns)
    except OSError:
        return None
    with _lock:
        if key not in _loaded:
            _loaded.clear()
            classifier = SentimentClassifier.load(path)
            classifier.meta["version"] = adapter.version
            _loaded[key] = classifier
        classifier = _loaded[key]
    return classifier if classifier.embedding_model == embedding_model else None


@dataclass(frozen=True)
class Reading:
    """One text's sentiment, how sure, and where it came from (``model v3`` or ``cue words``)."""

    label: str
    confidence: str
    source: str
    probabilities: dict[str, float] = field(default_factory=dict)


def read_with_model(classifier: SentimentClassifier, vectors: np.ndarray) -> list[Reading]:
    labels, probabilities = classifier.predict(vectors)
    source = f"model v{classifier.version}"
    return [Reading(label, confidence_bucket(float(row[classifier.labels.index(label)])), source,
                    {name: round(float(p), 3) for name, p in zip(classifier.labels, row)})
            for label, row in zip(labels, probabilities)]


def read_with_cues(texts: list[str]) -> list[Reading]:
    readings = []
    for text in texts:
        negative, positive = sentiment_cues(text)
        label = cue_label(text)
        confidence = "medium" if abs(negative - positive) >= 2 else "low"
        readings.append(Reading(label, confidence, "cue words"))
    return readings
