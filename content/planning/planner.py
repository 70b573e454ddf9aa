"""Plan copy from the facts, realize it from patterns, let the model rank the candidates.

``plan`` turns a product into slots (the opening, each fact worth stating); each slot
holds every pattern filled with that fact. ``realize`` asks the scorer for the
log-likelihood of every candidate of every slot of a whole batch of products in one
call, keeps the most fluent candidate per slot and joins the slots that fit the kind's
length, whole sentences only. Names and values are only ever copied from the facts.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from content.planning import patterns as default_patterns
from content.planning.facts import ProductFacts

# Words a shortened name must not end on ("Crayon with", "Shirt for").
_DANGLING = {"with", "for", "and", "or", "&", "-", "of", "in", "by", "the", "a", "an", "to", "from", "+", "|", "/",
             "on", "at", "x"}


@dataclass
class Slot:
    """One thing to say, with its candidate wordings (all equivalent in content)."""

    key: str
    candidates: list[str]
    means: list[float] = field(default_factory=list)
    priority: int = 50  # lower is kept first when the text must be cut
    order: int = 0  # position in the text
    chosen: str = ""
    frames: dict = field(default_factory=dict)  # slot key -> the pattern of each candidate (frame slots)
    only_if_short: bool = False  # said only when the text would be shorter than MIN_CHARS without it
    scores: list[float] = field(default_factory=list)


class _Fields(string.Formatter):
    def get_value(self, key, args, kwargs):
        value = kwargs.get(key, "")
        if not value:
            raise KeyError(key)
        return value


_FORMATTER = _Fields()


def fill(pattern: str, capitalize: bool = True, **fields) -> str | None:
    """The pattern filled with the fields, or None when one of its fields is empty or missing."""
    try:
        text = _FORMATTER.format(pattern, **fields)
    except (KeyError, IndexError, ValueError):
        return None
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([.!?])\.$", r"\1", text)  # a value ending in "." does not get a second one
    text = re.sub(r"\b(?:the|a|an) (The|A|An) ", r"\1 ", text)  # "the The Dead of Night" -> "The Dead of Night"
    return text[:1].upper() + text[1:] if capitalize else text


def _unique(items):
    seen, out = set(), []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def description_plan(facts: ProductFacts, *, max_chars: int, patterns=default_patterns) -> list[Slot]:
    base = {"name": facts.name, "brand": facts.brand, "category": facts.category, "department": facts.department,
            "price": facts.price}
    slots = [
        _frame_slot("opening", patterns.DESCRIPTION_OPENING, base, priority=0, order=0),
        _frame_slot("category", patterns.DESCRIPTION_CATEGORY, base, priority=1, order=1),
        _frame_slot("price", patterns.DESCRIPTION_PRICE, base, priority=2, order=1000),
        _frame_slot("closing", patterns.DESCRIPTION_CLOSING, base, priority=99, order=999, only_if_short=True),
    ]
    for index, fact in enumerate(facts.of_type("prose")):
        slots.append(Slot(f"prose:{index}", [fact.value], priority=20 + index, order=10 + index))
    order = {name: i for i, name in enumerate(patterns.DESCRIPTION_ORDER)}
    attribute_facts = [f for f in facts.facts if f.type != "prose"]
    attribute_facts.sort(key=lambda f: order.get(f.type, len(order)))
    for index, fact in enumerate(attribute_facts):
        label = fact.label.lower()
        if fact.value.lower() in ("no", "false", "none", "n/a", "-"):
            continue  # "dishwasher safe: no" is not worth a sentence, and easy to get wrong
        kind = fact.type
        if fact.value.lower() in ("yes", "true"):
            kind = "yes"
        elif kind == "material" and label not in ("material", "materials", "fabric", "composition", "made of"):
            kind = "part"
        forms = patterns.DESCRIPTION_FACTS.get(kind) or patterns.DESCRIPTION_FACTS["other"]
        fields = {**base, "value": fact.value, "label": label, "label_cap": fact.label}
        candidates = _unique(fill(p, **fields) for p in forms)
        candidates = [c for c in candidates if _article_fits(c, fact.value)]
        if candidates:
            slots.append(Slot(f"{fact.type}:{fact.label}", candidates, priority=5 + index, order=100 + index))
    return [s for s in slots if s.candidates and all(len(c) <= max_chars for c in s.candidates[:1])]


def _frame_slot(key: str, pattern_list: list[str], fields: dict, **kwargs) -> Slot:
    """A slot whose candidates are the patterns that the product's facts can fill, one each."""
    used, candidates = [], []
    for pattern in pattern_list:
        text = fill(pattern, **fields)
        if text and text not in candidates:
            used.append(pattern)
            candidates.append(text)
    return Slot(key, candidates, frames={key: used}, **kwargs)


def _article_fits(candidate: str, value: str) -> bool:
    """"It has a adjustable hood" is no sentence: the article must match the value's first letter."""
    first = value[:1].lower()
    if f" a {value}" in candidate and first in "aeiou":
        return False
    if f" an {value}" in candidate and first not in "aeiou":
        return False
    return True


def shorten(name: str, limit: int) -> str:
    """The name cut at a word boundary to at most ``limit`` characters, never mid-word or on "with"."""
    name = name.strip()
    if len(name) <= limit:
        return name
    words = name.split()
    out = []
    for word in words:
        candidate = " ".join(out + [word])
        if len(candidate) > limit:
            break
        out.append(word)
    while out:
        last = out[-1]
        core = last.strip(",;:-(").lower()
        if core in _DANGLING or not core or last.endswith(("(", ",", ";", ":", "-")) and len(out) > 1 and False:
            out.pop()
            continue
        break
    text = " ".join(out).rstrip(" ,;:-/|&+")
    if text.count("(") > text.count(")"):
        text = text[: text.rfind("(")].rstrip(" ,;:-")
    if text.count('"') % 2 and not re.search(r'\d"', text):
        text = text.replace('"', "")  # an unclosed quote, not an inch mark
    return text


def benefits(facts: ProductFacts, patterns=default_patterns, limit: int = 3) -> list[tuple[str, str]]:
    """(type, value) of the attributes a headline may name, in order of preference."""
    values = []
    for kind in patterns.BENEFIT_TYPES:
        for fact in facts.of_type(kind):
            if len(fact.value) <= 24 and fact.value.lower() not in facts.name.lower():
                values.append((kind, fact.value))
    return values[:limit]


def short_form_candidates(facts: ProductFacts, *, kind: str, max_chars: int, patterns=default_patterns) -> list[str]:
    """Headline or title candidates: the name (shortened at a word boundary when it must be),
    the brand when the name does not start with it, one benefit only next to the whole name."""
    forms = patterns.SEO_TITLE_FORMS if kind == "seo_title" else patterns.HEADLINE_FORMS
    brand = facts.brand if facts.brand and not facts.name.lower().startswith(facts.brand.lower()) else ""
    options = benefits(facts, patterns)
    candidates = []
    for form in forms:
        with_benefit = "{benefit}" in form or "{colour}" in form
        choices = ([("colour", v) for k, v in options if k == "colour"] if "{colour}" in form else
                   [(k, v) for k, v in options if k != "colour"] if "{benefit}" in form else [("", "")])
        for benefit_kind, value in choices:
            fields = {
                "brand": brand,
                "category": facts.category,
                "short": "SHORT",
                "benefit": value if benefit_kind != "colour" else "",
                "colour": value if benefit_kind == "colour" else "",
            }
            frame = fill(form, capitalize=False, **fields)
            if frame is None:
                continue
            room = max_chars - (len(frame) - len("SHORT"))
            if with_benefit:
                short = facts.name if len(facts.name) <= room else ""
            else:
                short = shorten(facts.name, room) if room >= 8 else ""
            if not short or (short != facts.name and len(short.split()) < 2):
                continue  # one word of a long name says too little
            text = frame.replace("SHORT", short)
            if len(text) <= max_chars:
                candidates.append(text)
    return _unique(candidates)


# Slots whose wordings differ only in their frame, not in how a value fits it: their frames are
# ranked once per process with stand-in facts (the ranking is the same for every product), so the
# model's time goes to the slots where the value's grammar matters.
FRAME_SLOTS = ("opening", "category", "price", "closing")
STAND_INS = {"name": "Nordic Oak Chair", "brand": "Lindqvist", "category": "Chairs", "department": "Home & Kitchen",
             "price": "49.00 EUR"}
_SCORE_CACHE: dict[tuple, object] = {}
_SCORE_CACHE_LIMIT = 20000


def _scoring_text(slot: Slot, index: int, name: str, patterns_used: dict) -> str:
    """What the model reads for one candidate: the frame with stand-ins, or the sentence itself
    with a long product name cut to its first words (the same in every candidate of the slot)."""
    if slot.key in FRAME_SLOTS and slot.key in patterns_used and index < len(patterns_used[slot.key]):
        return fill(patterns_used[slot.key][index], **STAND_INS) or slot.candidates[index]
    candidate = slot.candidates[index]
    if name and len(name.split()) > 4 and name in candidate:
        return candidate.replace(name, " ".join(name.split()[:3]))
    return candidate


def realize(plans: list[list[Slot]], *, contexts: list[str], scorer, max_chars: list[int],
            names: list[str] | None = None) -> list[str]:
    """Pick the best candidate of every slot (one scorer call for the batch, cached) and assemble each text."""
    pairs = []
    for plan, context, name in zip(plans, contexts, names or [""] * len(plans)):
        for slot in plan:
            if len(slot.candidates) > 1:  # a slot with one wording (a copied sentence) needs no ranking
                pairs.extend((slot, context, " " + _scoring_text(slot, i, name, slot.frames))
                             for i in range(len(slot.candidates)))
    if pairs and scorer is not None:
        missing = list(dict.fromkeys((p[1], p[2]) for p in pairs if (p[1], p[2]) not in _SCORE_CACHE))
        if missing:
            if len(_SCORE_CACHE) > _SCORE_CACHE_LIMIT:
                _SCORE_CACHE.clear()
            for key, score in zip(missing, scorer.score([m[0] for m in missing], [m[1] for m in missing])):
                _SCORE_CACHE[key] = score
        for slot, context, text in pairs:
            score = _SCORE_CACHE[(context, text)]
            slot.scores.append(fluency(score))
            slot.means.append(score.mean)
    texts = []
    for plan, limit in zip(plans, max_chars):
        for slot in plan:
            if slot.scores and len(slot.scores) == len(slot.candidates):
                best = max(range(len(slot.candidates)), key=lambda i: (slot.scores[i], -i))
            else:
                best = 0
            slot.chosen = slot.candidates[best]
        texts.append(assemble(plan, limit))
    return texts


def fluency(score) -> float:
    """Mean log-probability per token, softly favouring fewer tokens (the patterns say the same thing)."""
    return score.logprob / max(score.tokens, 1) ** 0.8


MIN_CHARS = 150  # a description shorter than this says too little (the harness's and editors' minimum)


def _trigrams(text: str) -> list[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return [tuple(words[i:i + 3]) for i in range(len(words) - 2)]


def assemble(plan: list[Slot], max_chars: int) -> str:
    """The chosen sentences that fit, most important first, in text order.

    A sentence that would make a three-word phrase appear a third time (the product name said
    over and over by a seller's text) is left out: it reads as repetition.
    """
    kept: list[Slot] = []
    used = 0
    counts: dict[tuple[str, ...], int] = {}
    for slot in sorted(plan, key=lambda s: s.priority):
        if slot.only_if_short:
            continue
        extra = len(slot.chosen) + (1 if kept else 0)
        grams = _trigrams(slot.chosen)
        if any(counts.get(g, 0) + grams.count(g) > 2 for g in set(grams)):
            continue
        if used + extra <= max_chars:
            kept.append(slot)
            used += extra
            for g in grams:
                counts[g] = counts.get(g, 0) + 1
    if used < min(MIN_CHARS, max_chars):
        for slot in (s for s in plan if s.only_if_short):
            extra = len(slot.chosen) + 1
            if used + extra <= max_chars:
                kept.append(slot)
                used += extra
                break
    return " ".join(s.chosen for s in sorted(kept, key=lambda s: s.order))


def choose_short(candidates: list[str], *, context: str, scorer, variant: int = 1) -> list[tuple[str, float]]:
    """Rank short-form candidates (headlines, titles) by fluency; the caller takes the variant's one."""
    if not candidates:
        return []
    if scorer is None:
        return [(c, 0.0) for c in candidates]
    scores = scorer.score([context] * len(candidates), [" " + c for c in candidates])
    ranked = sorted(zip(candidates, (fluency(s) for s in scores), range(len(candidates))), key=lambda t: (-t[1], t[2]))
    return [(c, s) for c, s, _ in ranked]
