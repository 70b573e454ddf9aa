"""Review summaries built from the reviews themselves, and the check that each claim has a source.

The default text model (135M parameters) does not follow the reviews it is given: it speaks as a
customer, invents opinions and answers the reader (see docs/review-summaries.md). So a summary is
extractive: the reviews are sampled by helpfulness and rating spread, their sentences are grouped
by theme with the embedder, the most representative sentence of each theme is chosen, and it is
rewritten by pattern into reported speech ("Several reviewers say they ..."). Every word of a
claim comes from a review; only the frame and the pronouns change.

Pure functions: callers pass review-like objects (``rating``, ``title``, ``body``,
``helpful_count``) and an ``embed`` callable (list of texts -> unit-length float32 rows). The
embedder runs in the worker only, never in a web request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

SUPPORT_CHECK = "review_support"

# A claim whose best match among the sentences of the summarized reviews is at least this similar
# counts as supported. Measured with `python manage.py evaluate_review_support` on
# ../shared/data/reviews/womens_clothing and all-MiniLM-L6-v2: see docs/review-summaries.md.
SUPPORT_THRESHOLD = 0.70

SAMPLE_SIZE = 12
THEME_SIMILARITY = 0.55  # sentences at least this similar are one theme
MIN_RELEVANCE = 0.3  # similarity to the closest of ASPECTS
AGREEMENT = 0.7  # reviews with a sentence at least this similar "say the same"
MAX_THEMES = 5

# What shoppers want to learn from reviews; a sentence close to none of these is about the reviewer
# ("I ordered it as a gift"), not the product.
ASPECTS = (
    "The fabric is soft and the material feels like good quality.",
    "It runs small, so order a size up; the fit is true to size.",
    "The colour is beautiful and looks the same as in the pictures.",
    "It is very comfortable to wear all day.",
    "The cut is flattering and the style is elegant.",
    "It is too long and the length is wrong for petite people.",
    "It is overpriced and not worth the money.",
    "It fell apart, shrank or pilled after washing.",
    "It is see-through and needs a slip or a bra.",
    "It is well made, sturdy and works as promised.",
    "It is easy to use and to set up.",
    "The battery lasts a long time.",
    "It broke or stopped working after a few weeks.",
    "It is good value for the price.",
)
_PRODUCT_SUBJECTS = frozenset("the this these those it it's it’s its that sizing size fit fabric material colour color "
                              "quality length".split())

Embed = Callable[[list[str]], np.ndarray]

_SENTENCE_RE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
_WORD_RE = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_SECOND_PERSON_RE = re.compile(r"\b(?:you|your|yours|yourself|u)\b", re.IGNORECASE)
_LINK_RE = re.compile(r"https?://|www\.|@", re.IGNORECASE)
_LEADING_CONNECTIVE_RE = re.compile(
    r"^(?:(?:and|but|so|also|plus|however|overall|anyway|ok|oh|well)\b[,\s]*)+", re.IGNORECASE
)
_HEADER_RE = re.compile(r"^\s*Based on \d+ (?:of \d+ )?reviews?\b[^:]*:\s*", re.IGNORECASE)
_FRAME_RE = re.compile(
    r"^\s*(?:(?:several|many|most|some|two|three|\d+|one|a few|another|also|critical|others?|reviewers?"
    r"|customers?|buyers?"
    r"|shoppers?)\s+)+(?:who\s+rated\s+it\s+\d(?:\s+of\s+5)?\s+)?"
    r"(?:say|says|said|mention|mentions|note|notes|find|finds|report|reports|write|writes|agree|agrees|feel|feels)\b"
    r"(?:\s+that\b)?[\s,:]*",
    re.IGNORECASE,
)

# First person -> third person, for reported speech. Keys are lower case.
_PRONOUNS = {
    "i": "they", "i'm": "they're", "i’m": "they're", "i've": "they've", "i’ve": "they've", "i'd": "they'd",
    "i’d": "they'd", "i'll": "they'll", "i’ll": "they'll", "im": "they're", "ive": "they've",
    "me": "them", "my": "their", "mine": "theirs", "myself": "themselves",
    "we": "they", "we're": "they're", "we’re": "they're", "we've": "they've", "we’ve": "they've",
    "us": "them", "our": "their", "ours": "theirs", "ourselves": "themselves",
}
_AGREEMENT = ((re.compile(r"\bthey am\b"), "they are"), (re.compile(r"\bthey was\b"), "they were"),
              (re.compile(r"\bthey wasn't\b"), "they weren't"), (re.compile(r"\bthey wasn’t\b"), "they weren't"))
_FIRST_PERSON_RE = re.compile(
    r"(?<![\w'’])(?:" + "|".join(re.escape(k) for k in sorted(_PRONOUNS, key=len, reverse=True)) + r")(?![\w'’])",
    re.IGNORECASE,
)
# A reported claim needs a subject: sentences that start otherwise ("very comfortable fit", "was worried
# ...") read as broken after "Reviewers say". Leading adverbials ("Otherwise, ...") are dropped first.
_SUBJECTS = frozenset(
    "i i'm i’m i've i’ve i'd im ive my we our they their the this these those it it's it’s its that there "
    "she he everything nothing all both each one a an sizing size fit fabric material colour color quality "
    "length fabrics colors colours".split()
)
_LEADING_ADVERBIAL_RE = re.compile(r"^[a-z]+(?: [a-z]+){0,2}, (?=\w)", re.IGNORECASE)
# The reviewer's own measurements and orders say little about the product.
_PERSONAL_RE = re.compile(r"\b(?:lbs|pounds|for reference|\d+'\s?\d+|\d{2}\s?(?:a|b|c|d|dd|ddd)\b|my usual)\b",
                          re.IGNORECASE)
_DANGLING_RE = re.compile(r"\b(?:but|and|so|or|because|though|although)\W*$|\.\.\.?$|…$", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    text: str
    review: int  # index into the sampled reviews
    rating: int
    helpful: int


def review_text(review) -> str:
    title = (review.title or "").strip()
    body = " ".join((review.body or "").split())
    if title and not title.endswith((".", "!", "?")):
        title += "."
    return f"{title} {body}".strip()


def reviews_sample(reviews: Sequence, limit: int = SAMPLE_SIZE) -> list:
    """Up to ``limit`` reviews, the most helpful first, with every rating band represented.

    Slots go to the bands (1-2 stars, 3 stars, 4-5 stars) in proportion to their share of the
    reviews, at least one to each band that has reviews, so a product loved by most and hated by a
    few is summarized with both voices. Empty reviews are left out.
    """
    usable = [r for r in reviews if review_text(r)]
    if len(usable) <= limit:
        return sorted(usable, key=_helpful_first)
    bands: dict[str, list] = {"negative": [], "mixed": [], "positive": []}
    for review in usable:
        bands[_band(review.rating)].append(review)
    present = {name: sorted(items, key=_helpful_first) for name, items in bands.items() if items}
    slots = {name: 1 for name in present}
    remaining = limit - len(slots)
    shares = sorted(present, key=lambda name: -len(present[name]))
    for name in shares:
        extra = round(remaining * len(present[name]) / len(usable))
        slots[name] += min(extra, len(present[name]) - slots[name])
    # Rounding may leave slots over or short: give or take them on the largest band.
    picked = [review for name in present for review in present[name][:slots[name]]]
    if len(picked) < limit:
        rest = sorted((r for r in usable if r not in picked), key=_helpful_first)
        picked += rest[:limit - len(picked)]
    return sorted(picked, key=_helpful_first)[:limit]


def _band(rating: int) -> str:
    return "negative" if rating <= 2 else "mixed" if rating == 3 else "positive"


def _helpful_first(review):
    return (-(getattr(review, "helpful_count", 0) or 0), -len(review_text(review)), getattr(review, "pk", 0) or 0)


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.findall(text or "") if s.strip()]


def review_sentences(reviews: Sequence) -> list[Sentence]:
    """Every sentence of the reviews, as written (for the support check)."""
    return [
        Sentence(text, index, review.rating, getattr(review, "helpful_count", 0) or 0)
        for index, review in enumerate(reviews)
        for text in split_sentences(review_text(review))
    ]


def candidate(text: str) -> bool:
    """A sentence that can stand alone as a reported claim about the product."""
    words = _WORD_RE.findall(_unframed(text))
    return (5 <= len(words) <= 30 and words[0].lower() in _SUBJECTS and text.rstrip().endswith((".", "!"))
            and "?" not in text
            and not _SECOND_PERSON_RE.search(text) and not _LINK_RE.search(text)
            and not _PERSONAL_RE.search(text) and not _DANGLING_RE.search(text.strip()))


def _unframed(text: str) -> str:
    text = _LEADING_CONNECTIVE_RE.sub("", text.strip()).strip(" ,;:-")
    return _LEADING_ADVERBIAL_RE.sub("", text)


def reported(text: str) -> str:
    """The sentence in reported form: first person becomes third person, leading connectives go."""
    text = _unframed(text)
    text = _FIRST_PERSON_RE.sub(lambda m: _PRONOUNS[m.group().lower()], text)
    for pattern, replacement in _AGREEMENT:
        text = pattern.sub(replacement, text)
    text = re.sub(r"!+", ".", text).rstrip(" .") + "."
    if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not text.startswith("They"):
        text = text[0].lower() + text[1:]
    elif text.startswith("They"):
        text = "t" + text[1:]
    return text


_FRAMES = {
    "several": ("Several reviewers say", "Several also say"),
    "two": ("Two reviewers say", "Two others say"),
    "one": ("One reviewer says", "Another says"),
}


def _frame(reviewers: int, rating: int, mostly_positive: bool, used: dict[str, int]) -> str:
    if mostly_positive and rating <= 2 and reviewers < 3:
        return "One critical reviewer says"
    key = "several" if reviewers >= 3 else "two" if reviewers == 2 else "one"
    choices = _FRAMES[key]
    frame = choices[min(used.get(key, 0), len(choices) - 1)]
    used[key] = used.get(key, 0) + 1
    return frame


def coverage(reviews: Sequence, total: int) -> str:
    """The header: how many reviews the summary covers, and their spread of ratings."""
    count = len(reviews)
    covered = f"{count} of {total} reviews" if total > count else f"{count} review{'s' * (count != 1)}"
    bands = [(sum(1 for r in reviews if r.rating >= 4), "rated 4-5 stars"),
             (sum(1 for r in reviews if r.rating == 3), "rated 3"),
             (sum(1 for r in reviews if r.rating <= 2), "rated 1-2")]
    spread = ", ".join(f"{n} {label}" for n, label in bands if n)
    return f"Based on {covered} ({spread}):"


def summarize(reviews: Sequence, embed: Embed, *, total: int | None = None, max_chars: int = 600) -> str:
    """A third-person summary of ``reviews`` (already sampled), saying how many it covers."""
    reviews = list(reviews)
    if not reviews:
        return ""
    header = coverage(reviews, max(total or 0, len(reviews)))
    candidates = [s for s in review_sentences(reviews) if candidate(s.text)]
    if not candidates:
        return header + " the reviews are too short to summarize."
    vectors = np.asarray(embed([s.text for s in candidates] + list(ASPECTS)), dtype=np.float32)
    relevance = (vectors[:len(candidates)] @ vectors[len(candidates):].T).max(axis=1)
    vectors = vectors[:len(candidates)]
    mostly_positive = sum(r.rating >= 4 for r in reviews) > len(reviews) / 2
    used: dict[str, int] = {}
    text = header
    themes = _themes(candidates, vectors, relevance)
    if mostly_positive:  # the minority view last, after what most reviewers say
        themes.sort(key=lambda theme: theme[0].rating <= 2)
    for sentence, reviewers in themes:
        claim = _frame(reviewers, sentence.rating, mostly_positive, used) + " " + reported(sentence.text)
        if len(text) + 1 + len(claim) <= max_chars:
            text += " " + claim
    return text


def _themes(candidates: list[Sentence], vectors: np.ndarray, relevance: np.ndarray) -> list[tuple[Sentence, int]]:
    """The representative sentence of each theme, with how many reviews say much the same.

    Greedy: the sentence about the product (close to one of ``ASPECTS``) that is close to the most
    other reviews leads a theme; its neighbours join it and leave the pool. Ties go to the more
    helpful review. The count of reviewers in the frame
    uses a stricter similarity (``AGREEMENT``) than the theme, so "Several reviewers say" is said
    only of near-paraphrases. The theme of the lowest-rated review is kept even when it is small,
    so a minority view is not summarized away.
    """
    similarity = vectors @ vectors.T
    close = similarity >= THEME_SIMILARITY
    agree = similarity >= AGREEMENT
    review_of = np.array([s.review for s in candidates])
    remaining = relevance >= MIN_RELEVANCE
    if not remaining.any():
        remaining = np.ones(len(candidates), dtype=bool)
    about_product = np.array([_WORD_RE.findall(_unframed(s.text))[0].lower() in _PRODUCT_SUBJECTS for s in candidates])
    themes: list[tuple[Sentence, int]] = []
    while remaining.any() and len(themes) < MAX_THEMES:
        support = [len(set(review_of[close[i] & remaining])) if remaining[i] else -1 for i in range(len(candidates))]
        best = max((i for i in range(len(candidates)) if remaining[i]),
                   key=lambda i: (min(support[i], 3) + 4 * float(relevance[i]) + 0.5 * about_product[i],
                                  candidates[i].helpful, -i))
        themes.append((candidates[best], len(set(review_of[agree[best]]))))
        remaining &= ~close[best]
        remaining &= review_of != candidates[best].review  # one claim per review
    low = [i for i, s in enumerate(candidates) if s.rating <= 2]
    if low and all(s.rating > 2 for s, _ in themes):
        lowest = max(low, key=lambda i: (-candidates[i].rating, float(relevance[i]), candidates[i].helpful))
        themes = themes[:MAX_THEMES - 1] + [(candidates[lowest], 1)]
    return themes


def mask_header(summary: str) -> str:
    """The summary with its "Based on N reviews (...)" header blanked out, same length (spans stay valid)."""
    header = _HEADER_RE.match(summary or "")
    return " " * header.end() + summary[header.end():] if header else summary


def claims(summary: str) -> list[tuple[int, int, str]]:
    """The claims of a summary: (start, end, text) per sentence, the "Based on N reviews" header left out."""
    header = _HEADER_RE.match(summary or "")
    offset = header.end() if header else 0
    found = []
    for match in _SENTENCE_RE.finditer(summary[offset:]):
        text = match.group().strip()
        if len(_WORD_RE.findall(text)) < 2:
            continue
        start = offset + match.start() + (len(match.group()) - len(match.group().lstrip()))
        found.append((start, start + len(text), text))
    return found


def claim_core(text: str) -> str:
    """A claim without its reporting frame ("Several reviewers say that ..."): what is compared."""
    return _FRAME_RE.sub("", text).strip() or text


def support_check(summary: str, sources: Sequence[str], embed: Embed, threshold: float = SUPPORT_THRESHOLD) -> dict:
    """Each claim must be close to at least one sentence of the summarized reviews; the rest are flagged.

    ``sources`` are the review sentences. Returns a result shaped like the other checks.
    """
    found = claims(summary)
    if not found:
        return _support_result(True, "No claims to verify.", [])
    if not sources:
        return _support_result(False, "The summary makes claims but no reviews are attached to it.",
                               [[s, e] for s, e, _ in found])
    vectors = np.asarray(embed([claim_core(t) for _, _, t in found] + list(sources)), dtype=np.float32)
    best = (vectors[:len(found)] @ vectors[len(found):].T).max(axis=1)
    unsupported = [(s, e, t, float(b)) for (s, e, t), b in zip(found, best) if b < threshold]
    if not unsupported:
        return _support_result(True, f"Each of the {len(found)} claims matches a review (lowest similarity "
                                     f"{float(best.min()):.2f}, limit {threshold:.2f}).", [])
    quoted = "; ".join(f'"{_short(t)}" ({b:.2f})' for _, _, t, b in unsupported)
    return _support_result(
        False,
        f"{len(unsupported)} of {len(found)} claims match no review (similarity below {threshold:.2f}): {quoted}.",
        [[s, e] for s, e, _, _ in unsupported],
    )


def support_pending() -> dict:
    return _support_result(True, "Not verified yet: a worker compares this text with the reviews in a moment "
                                 "(reload the page).", [], pending=True)


def _support_result(passed: bool, message: str, spans: list, pending: bool = False) -> dict:
    result = {"name": SUPPORT_CHECK, "passed": passed, "message": message, "spans": spans}
    if pending:
        result["pending"] = True
    return result


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
