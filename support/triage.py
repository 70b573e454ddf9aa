"""The cheap triage signals, as pure functions: sentiment, language and priority rules.

Intent is the only signal trained on data (``support.intent``). The others are
deliberately small and explainable, and they are honest about their limits:

* **Sentiment** combines a short word list (anger, complaints, thanks) with the
  ticket's embedding compared to three anchor descriptions. No labelled sentiment
  data was available to measure it; treat it as a hint for sorting, which staff
  can override. Word-list hits decide when they are clear; the embedding only
  decides when no word fires, and then with at most Medium confidence.
* **Language** counts common function words of eight European languages plus a
  few letters unique to one of them. It is reliable for a sentence or more of
  running text and says Low for very short texts.
* **Priority** applies the editable ``PriorityRule`` rows: every condition set on
  a rule must hold, the highest matching priority wins, no match means Normal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

# The cue words live on the floor (ecomcms/sentiment.py): imported reviews use them too.
from ecomcms.sentiment import (  # noqa: F401 (re-exported: support.triage.NEGATIVE_WORDS ...)
    NEGATIVE_PHRASES,
    NEGATIVE_WORDS,
    POLITE_PHRASES,
    POSITIVE_WORDS,
    SENTIMENT_LABELS,
    THANKS_WORDS,
    sentiment_cues,
)

HIGH, MEDIUM, LOW = "high", "medium", "low"
_RANK = {HIGH: 0, MEDIUM: 1, LOW: 2}
_PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class Signal:
    """A predicted value, its confidence bucket (high/medium/low) and why."""

    value: str
    confidence: str
    details: dict = field(default_factory=dict)


def lowest(*confidences: str) -> str:
    return max((c for c in confidences if c), key=lambda c: _RANK[c], default=MEDIUM)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(_PLACEHOLDER.sub(" ", text))]


# --- sentiment ------------------------------------------------------------------------------------

SENTIMENT_ANCHORS = {
    "negative": ["I am angry and very disappointed, this is unacceptable and terrible service.",
                 "This is the worst experience, I want to complain, nobody helps me."],
    "neutral": ["I have a question about my order.", "Could you tell me how to change my delivery address?"],
    "positive": ["Thank you so much, the service was great and I love the product.",
                 "I am very happy with my order, everything was perfect."],
}


def anchor_prototypes(embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """One unit vector per sentiment (rows in ``SENTIMENT_LABELS`` order), the mean of its anchors."""
    rows = []
    for label in SENTIMENT_LABELS:
        mean = np.asarray(embed(SENTIMENT_ANCHORS[label]), dtype=np.float32).mean(axis=0)
        rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
    return np.stack(rows)


def sentiment(text: str, vector: np.ndarray | None = None, prototypes: np.ndarray | None = None) -> Signal:
    negative, positive = sentiment_cues(text)
    details = {"negative_cues": negative, "positive_cues": positive}
    if negative > positive:
        return Signal("negative", HIGH if negative - positive >= 2 else MEDIUM, details)
    if positive > negative:
        return Signal("positive", HIGH if positive - negative >= 2 else MEDIUM, details)
    if vector is None or prototypes is None:
        return Signal("neutral", LOW, details)
    similarities = prototypes @ np.asarray(vector, dtype=np.float32)
    logits = similarities / 0.05
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    best = int(probabilities.argmax())
    details["anchor_probabilities"] = {label: round(float(p), 3) for label, p in zip(SENTIMENT_LABELS, probabilities)}
    # Without a cue word, "neutral" is the safe reading; the embedding may only move it with a clear margin.
    if SENTIMENT_LABELS[best] != "neutral" and probabilities[best] >= 0.7:
        return Signal(SENTIMENT_LABELS[best], MEDIUM if probabilities[best] >= 0.85 else LOW, details)
    return Signal("neutral", MEDIUM if negative == positive == 0 else LOW, details)


# --- language -------------------------------------------------------------------------------------

FUNCTION_WORDS = {
    "en": "the and is are was to of in it my i you your for not this that with have has do can please order".split(),
    "de": "der die das und ist nicht ich mein meine sie ein eine mit für auf den dem bitte habe noch wurde".split(),
    "fr": "le la les et est je mon ma mes vous pas une un pour avec sur ce que qui des du ai commande".split(),
    "es": "el la los las y es no mi mis usted un una para con por que del pedido gracias tengo está".split(),
    "it": "il lo la gli le e è non mio mia un una per con che di del ho grazie ordine sono".split(),
    "nl": "de het een en is niet ik mijn u jij voor met op dat van heb bestelling graag wel".split(),
    "pt": "o a os as e é não meu minha um uma para com que do da obrigado pedido tenho está".split(),
    "sv": "och är inte jag min mitt en ett för med på att av har beställning tack det".split(),
}
_FUNCTION_SETS = {code: frozenset(ws) for code, ws in FUNCTION_WORDS.items()}
#: Letters that point to one language (a small bonus, never decisive alone).
UNIQUE_LETTERS = {"de": "ßäöü", "fr": "çèêëœ", "es": "ñ¿¡", "pt": "ãõ", "sv": "å"}


def language(text: str) -> Signal:
    tokens = words(text)
    if not tokens:
        return Signal("", LOW, {"reason": "no words"})
    scores = {code: sum(t in vocabulary for t in tokens) for code, vocabulary in _FUNCTION_SETS.items()}
    lowered = text.lower()
    for code, letters in UNIQUE_LETTERS.items():
        scores[code] += 0.5 * min(4, sum(lowered.count(ch) for ch in letters))
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    details = {"scores": {code: score for code, score in ranked[:3]}, "words": len(tokens)}
    if top == 0:
        return Signal("", LOW, details)
    if top >= 4 and top >= 2 * second:
        return Signal(best, HIGH, details)
    if top >= 2 and top > second:
        return Signal(best, MEDIUM, details)
    return Signal(best, LOW, details)


# --- priority -------------------------------------------------------------------------------------

PRIORITY_ORDER = ("urgent", "high", "normal", "low")


@dataclass(frozen=True)
class Rule:
    """A priority rule as plain data (the ``PriorityRule`` model's fields)."""

    name: str
    priority: str
    intents: Sequence[str] = ()
    sentiments: Sequence[str] = ()
    requires_order_reference: bool = False
    keywords: Sequence[str] = ()


def _keyword_hit(text: str, keywords: Iterable[str]) -> str | None:
    lowered = " ".join(text.lower().split())
    for keyword in keywords:
        keyword = " ".join(str(keyword).lower().split())
        if keyword and re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", lowered):
            return keyword
    return None


def priority(*, rules: Sequence[Rule], text: str, intent: Signal | None, sentiment_signal: Signal | None,
             has_order_reference: bool) -> Signal:
    """The highest priority among the matching rules; its confidence is the weakest prediction it relied on."""
    matches = []
    for rule in rules:
        relied_on = []
        if rule.intents:
            if intent is None or intent.value not in rule.intents:
                continue
            relied_on.append(intent.confidence)
        if rule.sentiments:
            if sentiment_signal is None or sentiment_signal.value not in rule.sentiments:
                continue
            relied_on.append(sentiment_signal.confidence)
        if rule.requires_order_reference and not has_order_reference:
            continue
        if rule.keywords and _keyword_hit(text, rule.keywords) is None:
            continue
        matches.append((PRIORITY_ORDER.index(rule.priority), rule, lowest(*relied_on) if relied_on else HIGH))
    if not matches:
        return Signal("normal", MEDIUM, {"rules": []})
    rank, rule, confidence = min(matches, key=lambda match: (match[0], _RANK[match[2]]))
    return Signal(rule.priority, confidence, {"rules": [m[1].name for m in matches], "decided_by": rule.name})
