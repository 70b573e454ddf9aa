"""Figures of one text and of many: length, completeness, repetition, overlap, variety, spread.

chrF comes from sacrebleu and ROUGE-L from rouge-score (both pinned in requirements.txt), so the
numbers mean what they mean elsewhere. The rest is plain arithmetic, kept small enough to check
by hand. Pure functions, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ecomcms import stats

# The shortest text that does the job of each kind; the longest is the template's max_chars.
MIN_CHARS = {
    "description": 150, "ad_headline": 10, "ad_description": 30, "social_post": 40, "seo_title": 15,
    "meta_description": 70, "review_summary": 100,
}
# Kinds written as one line, not as sentences: complete when neither the model nor the trimming cut them.
LINE_KINDS = frozenset({"ad_headline", "seo_title"})

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s*$")
_WORDS = re.compile(r"\w+(?:['’]\w+)*")
_SENTENCES = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(text)]


def length_ok(text: str, kind: str, max_chars: int) -> bool:
    """Within the kind's length: at least MIN_CHARS[kind], at most the template's limit."""
    size = len(text.strip())
    return MIN_CHARS.get(kind, 1) <= size <= max_chars


def is_complete(text: str, kind: str, *, cut: bool) -> bool:
    """Sentence kinds end at a sentence boundary; line kinds must not have been cut (``cut``)."""
    if not text.strip():
        return False
    if kind in LINE_KINDS:
        return not cut
    return bool(_SENTENCE_END.search(text.strip()))


def is_empty(text: str) -> bool:
    return not _WORDS.search(text)


def is_repeated(text: str) -> bool:
    """A sentence said twice, a word three times in a row, or a run of four words said twice."""
    sentences = [" ".join(words(s)) for s in _SENTENCES.findall(text)]
    sentences = [s for s in sentences if len(s.split()) >= 3]
    if len(sentences) != len(set(sentences)):
        return True
    tokens = words(text)
    if any(tokens[i] == tokens[i + 1] == tokens[i + 2] for i in range(len(tokens) - 2)):
        return True
    grams = [tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3)]
    return len(grams) != len(set(grams))


def banned_found(text: str, phrases: Sequence[str]) -> list[str]:
    """The banned phrases the text uses (whole words, any case, any spacing)."""
    found = []
    for phrase in phrases:
        parts = phrase.split()
        if parts and re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, parts)) + r"(?!\w)", text, re.IGNORECASE):
            found.append(phrase)
    return found


def chrf(text: str, reference: str) -> float:
    """Sentence-level chrF (sacrebleu defaults: character 6-grams, beta 2), 0-100."""
    from sacrebleu.metrics import CHRF

    return float(_chrf_metric(CHRF).sentence_score(text, [reference]).score)


@lru_cache(maxsize=1)
def _chrf_metric(cls):
    return cls()


def chrf_corpus(texts: Sequence[str], references: Sequence[str]) -> float:
    """Corpus-level chrF over all pairs (statistics summed before the score), 0-100."""
    from sacrebleu.metrics import CHRF

    return float(CHRF().corpus_score(list(texts), [list(references)]).score)


@lru_cache(maxsize=1)
def _rouge():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)


def rouge_l(text: str, reference: str) -> float:
    """ROUGE-L F-measure (rouge-score, Porter stemming), 0-100."""
    return float(_rouge().score(reference, text)["rougeL"].fmeasure * 100)


def distinct_n(texts: Sequence[str], n: int = 2) -> float:
    """Distinct n-grams over all n-grams of all texts (Li et al. 2016); 0 when there are none."""
    grams: list[tuple[str, ...]] = []
    for text in texts:
        tokens = words(text)
        grams += [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def bootstrap_ci(values: Sequence[float], *, resamples: int = 2000, seed: int = 12345,
                 level: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean, resampling products; None for fewer than 2 values.

    The harness's fixed seed (12345) keeps reports reproducible; the arithmetic is ``ecomcms.stats``'s.
    """
    if len(values) < 2:
        return None
    interval = stats.bootstrap_mean(values, resamples=resamples, seed=seed, level=level)
    return interval.low, interval.high


def bootstrap_ratio_ci(numerators: Sequence[float], denominators: Sequence[float], *, resamples: int = 2000,
                       seed: int = 12345, level: float = 0.95) -> tuple[float, float] | None:
    """Interval of sum(numerators) / sum(denominators), resampling products (e.g. share of claims flagged)."""
    num, den = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    if len(num) < 2 or den.sum() == 0:
        return None
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(num), size=(resamples, len(num)))
    totals = den[index].sum(axis=1)
    ratios = np.divide(num[index].sum(axis=1), totals, out=np.full(resamples, np.nan), where=totals > 0)
    ratios = ratios[~np.isnan(ratios)]
    low, high = np.percentile(ratios, [(1 - level) / 2 * 100, (1 + level) / 2 * 100])
    return float(low), float(high)


def overlaps(span: Sequence[int], spans: Sequence[Sequence[int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)
