"""Automatic checks on AI-written product copy, shown to the editor before approval.

Every check is a plain rule an editor can follow: each result says in one sentence what was
found and gives character spans into the text, so the review screen can highlight the words.
The checks only advise; a person still decides. Nothing here touches the database: the caller
passes in the product facts, the sources the model was given and the similarity scores.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CHECK_NAMES = ("length", "empty_or_repeated", "banned_phrases", "facts", "links_and_scripts", "near_duplicate")

Span = tuple[int, int]

# --- vocabularies -------------------------------------------------------------------------------

# Each group lists spellings that mean the same thing, so "aluminum" backs up "aluminium".
MATERIALS: tuple[tuple[str, ...], ...] = (
    ("cotton",), ("polyester",), ("wool", "woollen", "woolen"), ("merino",), ("cashmere",), ("alpaca",),
    ("mohair",), ("silk",), ("linen",), ("nylon", "polyamide"), ("leather",), ("faux leather", "vegan leather"),
    ("suede",), ("denim",), ("canvas",), ("velvet",), ("satin",), ("bamboo",), ("hemp",), ("acrylic",),
    ("spandex", "elastane", "lycra"), ("viscose", "rayon"), ("lyocell", "tencel"), ("stainless steel",),
    ("steel",), ("cast iron",), ("aluminium", "aluminum"), ("titanium",), ("plastic",), ("glass",),
    ("ceramic",), ("porcelain",), ("stoneware",), ("wood", "wooden"), ("oak",), ("walnut",), ("beech",),
    ("teak",), ("cork",), ("rubber",), ("silicone",), ("latex",), ("memory foam",), ("gold",), ("silver",),
    ("copper",), ("brass",), ("bronze",), ("marble",), ("carbon fibre", "carbon fiber"),
)

# Words with a common non-colour meaning (cream, mint, rose, olive, tan) are left out on purpose.
COLOURS: tuple[tuple[str, ...], ...] = (
    ("black",), ("white",), ("grey", "gray"), ("red",), ("blue",), ("navy",), ("green",), ("yellow",),
    ("orange",), ("purple",), ("violet",), ("pink",), ("brown",), ("beige",), ("ivory",), ("khaki",),
    ("teal",), ("turquoise",), ("maroon",), ("burgundy",), ("charcoal",), ("lavender",), ("lilac",),
    ("indigo",), ("magenta",), ("cyan",), ("gold",), ("silver",),
)

# Unit spellings -> (canonical unit, factor), so 0.5 l and 500 ml compare as the same amount.
_UNIT_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ml", "1", ("ml", "millilitre", "millilitres", "milliliter", "milliliters")),
    ("ml", "10", ("cl",)),
    ("ml", "1000", ("l", "litre", "litres", "liter", "liters")),
    ("g", "0.001", ("mg",)),
    ("g", "1", ("g", "gram", "grams")),
    ("g", "1000", ("kg", "kilogram", "kilograms", "kilo", "kilos")),
    ("mm", "1", ("mm",)),
    ("mm", "10", ("cm",)),
    ("mm", "1000", ("m", "metre", "metres", "meter", "meters")),
    ("inch", "1", ("in", "inch", "inches", '"', "″", "”")),
    ("mAh", "1", ("mah",)),
    ("min", "1", ("min", "mins", "minute", "minutes")),
    ("min", "60", ("h", "hr", "hrs", "hour", "hours")),
    ("day", "1", ("day", "days")),
    ("day", "7", ("week", "weeks")),
    ("month", "1", ("month", "months")),
    ("month", "12", ("yr", "yrs", "year", "years")),
    ("%", "1", ("%", "percent")),
    ("W", "1", ("w", "watt", "watts")),
    ("W", "1000", ("kw",)),
    ("V", "1", ("v", "volt", "volts")),
    ("GB", "0.001", ("mb",)),
    ("GB", "1", ("gb",)),
    ("GB", "1000", ("tb",)),
)
_UNITS: dict[str, tuple[str, Decimal]] = {
    spelling: (unit, Decimal(factor)) for unit, factor, spellings in _UNIT_GROUPS for spelling in spellings
}
_QUOTE_UNITS = ('"', "″", "”")

_MATERIAL_KEYS = ("material", "fabric", "composition")
_COLOUR_KEYS = ("colour", "color")

# Top-level domains recognised in bare domains ("example.com"); English words such as "it" or
# "me" are left out so a missing space after a full stop is not read as a link.
_TLDS = ("com", "net", "org", "io", "co", "uk", "de", "fr", "nl", "eu", "ca", "au", "info", "biz", "shop",
         "store", "online", "site", "app", "dev", "ai", "tv", "xyz", "example")

# --- precompiled patterns ---------------------------------------------------------------------------


def _term_pattern(term: str) -> str:
    """A vocabulary term as a regex; words may be joined by spaces or hyphens ("stainless-steel")."""
    return r"[\s-]+".join(re.escape(word) for word in term.split())


def _claim_regex(groups: Iterable[tuple[str, ...]]) -> str:
    """One alternation of every spelling, longest first so "stainless steel" wins over "steel"."""
    terms = sorted({term for group in groups for term in group}, key=len, reverse=True)
    return "|".join(_term_pattern(term) for term in terms)


_TERM_RES: dict[str, re.Pattern[str]] = {
    term: re.compile(rf"(?<!\w){_term_pattern(term)}(?!\w)", re.IGNORECASE)
    for group in (*MATERIALS, *COLOURS) for term in group
}
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_WORD_UNITS = "|".join(re.escape(u) for u in sorted(set(_UNITS) - set(_QUOTE_UNITS), key=len, reverse=True))
_QUANTITY_RE = re.compile(
    rf"(?<![\w.,])(?P<number>{_NUMBER})(?:[- \u00a0]?(?P<unit>{_WORD_UNITS})|(?P<inch>[\"″”]))?(?!\w)",
    re.IGNORECASE,
)
_MATERIAL_CLAIM_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<percent>\d+(?:\.\d+)?)\s?%\s*)?(?P<term>{_claim_regex(MATERIALS)})(?!\w)", re.IGNORECASE
)
_COLOUR_CLAIM_RE = re.compile(rf"(?<!\w)(?:{_claim_regex(COLOURS)})(?!\w)", re.IGNORECASE)
_TERM_SEPARATOR_RE = re.compile(r"[\s-]+")

# A sentence runs to . ! ? or a line break; a mark followed by a letter or digit ("3.5") does not end it.
_SENTENCE_RE = re.compile(r"(?:[^.!?\n]|[.!?](?=\w))+[.!?]*")
_WORD_RE = re.compile(r"\w+(?:['’]\w+)*")
_TRAILING_PUNCTUATION = ".!?,;: "

_URL_END = r"[^\s<>\"'.,;:!?)\]}]"
_LINK_RE = re.compile(
    rf"(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"
    rf"|(?P<url>\bhttps?://[^\s<>\"']*{_URL_END})"
    rf"|(?P<www>\bwww\.[^\s<>\"']*{_URL_END})"
    rf"|(?P<domain>(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{'|'.join(_TLDS)})(?![\w-])"
    rf"(?:/[^\s<>\"']*{_URL_END})?)",
    re.IGNORECASE,
)
_UNSAFE_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("the HTML tag", re.compile(r"</?[a-z][a-z0-9-]*(?=[\s/>]|$)(?:[^<>\n]{0,200}>)?", re.IGNORECASE)),
    ("the script link", re.compile(r"\b(?:javascript|vbscript)\s*:", re.IGNORECASE)),
    ("the event handler", re.compile(r"\bon[a-z]+\s*=", re.IGNORECASE)),
    ("the instruction-like phrase", re.compile(
        r"\b(?:ignore|disregard|forget)\s+(?:(?:all|any|the|your)\s+)*"
        r"(?:(?:previous|prior|above|earlier|preceding)\s+)?instructions\b"
        r"|\bsystem\s+prompt\b"
        r"|\bas\s+an\s+ai\b(?:\s+(?:language\s+)?model\b)?"
        r"|\bas\s+a\s+(?:large\s+)?language\s+model\b"
        r"|\bi(?:\s+am|'m|’m)\s+an\s+ai\b",
        re.IGNORECASE,
    )),
)
_LINK_KINDS = {"email": "the email address", "url": "the link", "www": "the link", "domain": "the link"}

# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem: the sentence the editor reads and, when it has a place in the text, where."""

    message: str
    span: Span | None = None


def _result(name: str, findings: Sequence[Finding], ok_message: str) -> dict:
    """The JSON-ready result of one check; a message repeated by several findings is said once."""
    messages = list(dict.fromkeys(finding.message for finding in findings))
    spans = sorted({finding.span for finding in findings if finding.span is not None})
    return {
        "name": name,
        "passed": not findings,
        "message": " ".join(messages) if findings else ok_message,
        "spans": [list(span) for span in spans],
    }


def _quote(text: str, limit: int = 80) -> str:
    """Text for a message, on one line and short enough to read at a glance."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _count(number: int, noun: str) -> str:
    """"1 character", "2 characters"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _overlaps(span: Span, others: Iterable[Span]) -> bool:
    """Whether a span shares at least one character with any of the others."""
    return any(span[0] < end and start < span[1] for start, end in others)


# --- length -----------------------------------------------------------------------------------


def _check_length(text: str, min_chars: int, max_chars: int) -> dict:
    """Leading and trailing whitespace is not counted; past the limit, the overflow is highlighted."""
    size = len(text.strip())
    findings = []
    if size > max_chars:
        start = len(text) - len(text.lstrip()) + max_chars
        findings.append(Finding(
            f"Too long: {_count(size, 'character')}, the limit is {max_chars}; the part past the limit is highlighted.",
            (start, start + size - max_chars),
        ))
    elif size < min_chars:
        findings.append(Finding(f"Too short: {_count(size, 'character')}, the minimum is {min_chars}."))
    return _result("length", findings, f"{_count(size, 'character')}, within {min_chars} to {max_chars}.")


# --- empty or repeated ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """A sentence with its place in the text and the form used to spot repeats."""

    span: Span
    text: str
    key: str


def _sentences(text: str) -> list[Sentence]:
    """Sentences compared without case, extra spaces or end punctuation, so "Soft." repeats "soft"."""
    sentences = []
    for match in _SENTENCE_RE.finditer(text):
        raw = match.group()
        key = " ".join(raw.lower().split()).rstrip(_TRAILING_PUNCTUATION)
        if key:
            start = match.start() + len(raw) - len(raw.lstrip())
            sentences.append(Sentence((start, match.start() + len(raw.rstrip())), raw.strip(), key))
    return sentences


def _repeated_sentences(sentences: list[Sentence]) -> list[Finding]:
    """Every copy of a sentence that appears more than once, so the editor can pick which to keep."""
    copies: dict[str, list[Sentence]] = defaultdict(list)
    for sentence in sentences:
        copies[sentence.key].append(sentence)
    return [
        Finding(f'The sentence "{_quote(group[0].text)}" appears {len(group)} times.', sentence.span)
        for group in copies.values() if len(group) > 1 for sentence in group
    ]


def _repeated_phrases(text: str, sentences: list[Sentence]) -> list[Finding]:
    """Three-word phrases used 3+ times; a repeated sentence counts once (it is reported already)."""
    occurrences: dict[tuple[str, ...], list[Span]] = defaultdict(list)
    seen: set[str] = set()
    for sentence in sentences:
        if sentence.key in seen:
            continue
        seen.add(sentence.key)
        words = list(_WORD_RE.finditer(text, *sentence.span))
        for first, middle, last in zip(words, words[1:], words[2:]):
            phrase = (first.group().lower(), middle.group().lower(), last.group().lower())
            occurrences[phrase].append((first.start(), last.end()))
    return [
        Finding(f'The phrase "{" ".join(phrase)}" appears {len(spans)} times.', span)
        for phrase, spans in occurrences.items() if len(spans) >= 3 for span in spans
    ]


def _words_in_a_row(text: str) -> list[Finding]:
    """The same word 4+ times in a row ("very very very very"), a typical sign of a stuck model."""
    findings = []
    words = list(_WORD_RE.finditer(text))
    run_start = 0
    for index in range(1, len(words) + 1):
        if index < len(words) and words[index].group().lower() == words[run_start].group().lower():
            continue
        if index - run_start >= 4:
            word = words[run_start].group().lower()
            message = f'The word "{word}" appears {index - run_start} times in a row.'
            findings.append(Finding(message, (words[run_start].start(), words[index - 1].end())))
        run_start = index
    return findings


def _check_empty_or_repeated(text: str) -> dict:
    """Empty or looping output is the commonest failure of a small model; it is never worth editing."""
    if not text.strip():
        return _result("empty_or_repeated", [Finding("The text is empty.")], "")
    sentences = _sentences(text)
    findings = [*_repeated_sentences(sentences), *_repeated_phrases(text, sentences), *_words_in_a_row(text)]
    return _result("empty_or_repeated", findings, "No empty text and no repeated sentences or phrases.")


# --- banned phrases -----------------------------------------------------------------------------


def _check_banned_phrases(text: str, banned_phrases: Sequence[str]) -> dict:
    """Whole words only, ignoring case and spacing, so "free" does not match inside "carefree"."""
    findings = []
    for phrase in banned_phrases:
        words = phrase.split()
        if not words:
            continue
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)
        matches = list(pattern.finditer(text))
        times = f" ({len(matches)} times)" if len(matches) > 1 else ""
        findings += [Finding(f'Uses the banned phrase "{" ".join(words)}"{times}.', m.span()) for m in matches]
    return _result("banned_phrases", findings, "No banned phrases.")


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A number as written, with its amount in a canonical unit (None when written without one)."""

    written: str
    number: Decimal
    unit: str | None
    amount: Decimal
    span: Span


@dataclass(frozen=True)
class Facts:
    """What the product data says: its text, its numbers and, when given, its material and colour."""

    text: str
    quantities: list[Quantity]
    material: tuple[str, str] | None
    colour: tuple[str, str] | None


def _quantity(written: str, number: str, unit: str | None, span: Span) -> Quantity:
    """Parse one number; "1,000" is one thousand (commas are read as thousands separators)."""
    value = Decimal(number.replace(",", ""))
    if unit is None:
        return Quantity(written, value, None, value, span)
    canonical, factor = _UNITS[unit.lower()]
    return Quantity(written, value, canonical, value * factor, span)


def _quantities(text: str) -> list[Quantity]:
    """Every number in the text with its unit; digits glued to letters ("4K", "X200") are skipped."""
    return [
        _quantity(m.group(), m["number"], m["unit"] or m["inch"], m.span()) for m in _QUANTITY_RE.finditer(text)
    ]


def _attribute(attributes: dict[str, str], key_words: tuple[str, ...]) -> tuple[str, str] | None:
    """The first attribute whose key mentions one of the words, as ("material", "polyester")."""
    for key, value in attributes.items():
        label = " ".join(str(key).replace("_", " ").lower().split())
        if any(word in label for word in key_words) and str(value).strip():
            return label, str(value).strip()
    return None


def _facts(attributes: dict[str, str], title: str, brand: str, category: str) -> Facts:
    """Attribute values, title, brand and category together are the facts the copy may state."""
    text = "\n".join([*(str(value) for value in attributes.values()), title, brand, category])
    return Facts(text, _quantities(text), _attribute(attributes, _MATERIAL_KEYS), _attribute(attributes, _COLOUR_KEYS))


def _is_stated(claim: Quantity, facts: Facts) -> bool:
    """Same unit and amount (0.5 l is 500 ml), or one side has no unit and the numbers are equal."""
    return any(
        claim.number == fact.number if claim.unit is None or fact.unit is None
        else claim.unit == fact.unit and claim.amount == fact.amount
        for fact in facts.quantities
    )


def _quantity_message(claim: Quantity, facts: Facts) -> str:
    """Name the product's own figures in the same unit, when it has any."""
    same_unit = [f'"{fact.written}"' for fact in facts.quantities if claim.unit and fact.unit == claim.unit]
    if same_unit:
        return f'Claims "{claim.written}" but the product data says {" or ".join(dict.fromkeys(same_unit))}.'
    return f'Claims "{claim.written}", which is not in the product data.'


def _term_in_facts(term: str, groups: tuple[tuple[str, ...], ...], facts: Facts) -> bool:
    """Whether the facts name the term or a synonym of it, as a whole word."""
    group = next(group for group in groups if term in group)
    return any(_TERM_RES[synonym].search(facts.text) for synonym in group)


def _term_message(claim: str, attribute: tuple[str, str] | None) -> str:
    """Say what the product actually has, when the data says it."""
    if attribute:
        label, value = attribute
        return f'Claims "{claim}" but the product\'s {label} is {value}.'
    return f'Claims "{claim}", which is not in the product data.'


def _material_findings(matches: list[re.Match[str]], facts: Facts) -> list[Finding]:
    """A material the facts do not name, or a percentage ("100% cotton") they do not give."""
    findings = []
    for match in matches:
        claim = _quote(match.group())
        term = " ".join(_TERM_SEPARATOR_RE.split(match["term"].lower()))
        if not _term_in_facts(term, MATERIALS, facts):
            findings.append(Finding(_term_message(claim, facts.material), match.span()))
        elif match["percent"]:
            percent = _quantity(f"{match['percent']}%", match["percent"], "%", match.span("percent"))
            if not _is_stated(percent, facts):
                message = f'Claims "{claim}" but {percent.written} is not in the product data.'
                findings.append(Finding(message, match.span()))
    return findings


def _colour_findings(text: str, facts: Facts, taken: list[Span]) -> list[Finding]:
    """Colours are checked only when the product has a colour attribute to compare with."""
    if facts.colour is None:
        return []
    return [
        Finding(_term_message(match.group(), facts.colour), match.span())
        for match in _COLOUR_CLAIM_RE.finditer(text)
        if not _overlaps(match.span(), taken)
        and not _term_in_facts(" ".join(_TERM_SEPARATOR_RE.split(match.group().lower())), COLOURS, facts)
    ]


def _check_facts(text: str, facts: Facts) -> dict:
    """A small model invents specifications; every number, material and colour must be in the data.

    A percentage written before a material ("100% cotton") is one claim. A word that is both a
    material and a colour ("gold", "silver") is checked as a material.
    """
    materials = list(_MATERIAL_CLAIM_RE.finditer(text))
    taken = [match.span() for match in materials]
    numbers = [
        Finding(_quantity_message(claim, facts), claim.span)
        for claim in _quantities(text)
        if not _overlaps(claim.span, taken) and not _is_stated(claim, facts)
    ]
    findings = sorted(
        [*_material_findings(materials, facts), *numbers, *_colour_findings(text, facts, taken)],
        key=lambda finding: finding.span,
    )
    return _result("facts", findings, "Every number, material and colour in the text is in the product data.")


# --- links and scripts --------------------------------------------------------------------------


def _in_sources(found: str, sources: str) -> bool:
    """Text the model was given (a care-page URL in the product data) is allowed to appear."""
    return " ".join(found.lower().split()) in " ".join(sources.lower().split())


# Never fine in shop copy, wherever they came from: the product data may be the attack.
_ALWAYS_FLAGGED = frozenset({"the script link", "the event handler", "the instruction-like phrase"})
_INSTRUCTION_RE = dict(_UNSAFE_RES)["the instruction-like phrase"]


def _check_links_and_scripts(text: str, sources: str, data: str = "") -> dict:
    """Copy is published as is: links, HTML and leaked prompt text must not slip through unseen.

    A link or tag that the sources contain (a care-page URL in the product data) is
    allowed, unless the data itself holds instruction-like text (a prompt
    injection): then everything it could have smuggled in is flagged, and so is
    the injection. Script links, event handlers and instruction-like phrases are
    flagged wherever they came from.
    """
    injections = list(_INSTRUCTION_RE.finditer(data))
    findings = [
        Finding(f'The product data contains the instruction-like phrase "{_quote(match.group())}", a possible prompt '
                "injection: check the text closely.")
        for match in injections[:1]
    ]
    found = [(_LINK_KINDS[match.lastgroup], match) for match in _LINK_RE.finditer(text)]
    found += [(kind, match) for kind, pattern in _UNSAFE_RES for match in pattern.finditer(text)]
    for kind, match in sorted(found, key=lambda item: item[1].start()):
        if not _in_sources(match.group(), sources):
            where = "which is not in the product data or template."
        elif kind in _ALWAYS_FLAGGED or injections:
            where = "copied from the product data."
        else:
            continue
        findings.append(Finding(f'Contains {kind} "{_quote(match.group())}", {where}', match.span()))
    return _result("links_and_scripts", findings, "No links, email addresses, HTML or instruction-like phrases.")


# --- near duplicate -------------------------------------------------------------------------------


def _check_near_duplicate(near_duplicates: Sequence[tuple[str, float]], threshold: float, pending: bool = False) -> dict:
    """Copy nearly identical to another product's hurts search ranking and tells shoppers nothing."""
    if pending:
        return _result("near_duplicate", [], "Not compared yet: a worker compares this text with other products' "
                                             "copy in a moment (reload the page).")
    if not near_duplicates:
        return _result("near_duplicate", [], "No other product's copy to compare with.")
    label, similarity = max(near_duplicates, key=lambda pair: pair[1])
    if similarity >= threshold:
        message = f'Very similar to the copy of "{label}" (similarity {similarity:.3g}, limit {threshold:.3g}).'
        return _result("near_duplicate", [Finding(message)], "")
    return _result(
        "near_duplicate", [], f'Most similar: "{label}" (similarity {similarity:.3g}, below the {threshold:.3g} limit).'
    )


# --- public interface -------------------------------------------------------------------------------


def run_checks(
    text: str,
    *,
    max_chars: int,
    min_chars: int = 1,
    attributes: dict[str, str],
    title: str = "",
    brand: str = "",
    category: str = "",
    banned_phrases: Sequence[str] = (),
    sources: str = "",
    data: str = "",
    near_duplicates: Sequence[tuple[str, float]] = (),
    near_duplicate_threshold: float = 0.92,
    near_duplicate_pending: bool = False,
) -> list[dict]:
    """Run every check on one draft; one JSON-ready result per check, in CHECK_NAMES order."""
    facts = _facts(attributes, title, brand, category)
    return [
        _check_length(text, min_chars, max_chars),
        _check_empty_or_repeated(text),
        _check_banned_phrases(text, banned_phrases),
        _check_facts(text, facts),
        _check_links_and_scripts(text, sources, data),
        _check_near_duplicate(near_duplicates, near_duplicate_threshold, near_duplicate_pending),
    ]


def near_duplicate_result(near_duplicates: Sequence[tuple[str, float]], threshold: float = 0.92) -> dict:
    """The near-duplicate check alone, for a text whose embedding was computed later (in a worker)."""
    return _check_near_duplicate(near_duplicates, threshold)


def all_passed(results: list[dict]) -> bool:
    """Whether the draft passed every check."""
    return all(result["passed"] for result in results)


def failed_names(results: list[dict]) -> list[str]:
    """The names of the checks that failed, in the order they were run."""
    return [result["name"] for result in results if not result["passed"]]


def _merged(spans: Iterable[Sequence[int]], length: int) -> list[Span]:
    """Spans clipped to the text, sorted, with overlapping or touching spans joined into one."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, start), min(length, end)) for start, end in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def highlight(text: str, spans: list[list[int]]) -> SafeString:
    """The text HTML-escaped, with each span in <mark>; the text inside a mark is escaped too."""
    parts = []
    position = 0
    for start, end in _merged(spans, len(text)):
        parts += [escape(text[position:start]), "<mark>", escape(text[start:end]), "</mark>"]
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))
