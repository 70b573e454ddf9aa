"""What every check shares: a finding, the JSON-ready result, sentences, and highlighting."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Span = tuple[int, int]

# A sentence runs to . ! ? or a line break; a mark followed by a letter or digit ("3.5") does not end it.
_SENTENCE_RE = re.compile(r"(?:[^.!?\n]|[.!?](?=\w))+[.!?]*")
WORD_RE = re.compile(r"\w+(?:['’]\w+)*")
_TRAILING_PUNCTUATION = ".!?,;: "

# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One problem: the sentence the editor reads and, when it has a place in the text, where."""

    message: str
    span: Span | None = None


def result(name: str, findings: Sequence[Finding], ok_message: str) -> dict:
    """The JSON-ready result of one check; a message repeated by several findings is said once."""
    messages = list(dict.fromkeys(finding.message for finding in findings))
    spans = sorted({finding.span for finding in findings if finding.span is not None})
    return {
        "name": name,
        "passed": not findings,
        "message": " ".join(messages) if findings else ok_message,
        "spans": [list(span) for span in spans],
    }


def quote(text: str, limit: int = 80) -> str:
    """Text for a message, on one line and short enough to read at a glance."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def count(number: int, noun: str) -> str:
    """"1 character", "2 characters"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def overlaps(span: Span, others: Iterable[Span]) -> bool:
    """Whether a span shares at least one character with any of the others."""
    return any(span[0] < end and start < span[1] for start, end in others)


@dataclass(frozen=True)
class Sentence:
    """A sentence with its place in the text and the form used to spot repeats."""

    span: Span
    text: str
    key: str


def sentences(text: str) -> list[Sentence]:
    """Sentences compared without case, extra spaces or end punctuation, so "Soft." repeats "soft"."""
    found = []
    for match in _SENTENCE_RE.finditer(text):
        raw = match.group()
        key = " ".join(raw.lower().split()).rstrip(_TRAILING_PUNCTUATION)
        if key:
            start = match.start() + len(raw) - len(raw.lstrip())
            found.append(Sentence((start, match.start() + len(raw.rstrip())), raw.strip(), key))
    return found


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