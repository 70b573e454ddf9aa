"""Checks on the form of the text: length, loops, banned phrases, links and markup, near duplicates."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from content.checks.base import (
    WORD_RE as _WORD_RE,
    Finding,
    Sentence,
    Span,
    count as _count,
    quote as _quote,
    result as _result,
    sentences as _sentences,
)

# Top-level domains recognised in bare domains ("example.com"); English words such as "it" or
# "me" are left out so a missing space after a full stop is not read as a link.
_TLDS = ("com", "net", "org", "io", "co", "uk", "de", "fr", "nl", "eu", "ca", "au", "info", "biz", "shop",
         "store", "online", "site", "app", "dev", "ai", "tv", "xyz", "example")


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


def _check_near_duplicate(
    near_duplicates: Sequence[tuple[str, float]], threshold: float, pending: bool = False
) -> dict:
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
