"""What happens to model output before anyone sees it: make it plain text, tidy, trim to the channel's limit.

Copy is stored as plain text: "Salt & pepper" is stored as it reads, not as "Salt &amp; pepper",
so the API serves what the editor saw and the length check counts characters, not entities.
Every output escapes it: Django templates (the admin, the storefront blocks) autoescape, the
highlighter and the diff escape, and the API's JSON carries the text for the client to escape.
"""

from __future__ import annotations

import html
import re

import nh3

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_CHAT_PREFIX = re.compile(
    r"^\s*(?:(?:sure|certainly|of course)[,!.]\s*|here(?:'s| is) (?:a|an|the|your)[^:\n]*:\s*)+", re.IGNORECASE
)
# Block-level tags become line breaks before the tags go, so paragraphs and list items stay apart.
_BREAK_TAGS = re.compile(r"<br\s*/?>|</p\s*>|</li\s*>|</div\s*>|</h[1-6]\s*>", re.IGNORECASE)


def plain_text(text: str) -> str:
    """Markup removed (scripts and styles with their content), entities decoded, the words kept.

    Repeated until nothing changes, so markup smuggled in as entities ("&lt;script&gt;") is
    removed once decoded instead of coming back as a tag. What is left may still hold a
    "<" or "&" as text ("5 < 6", "Salt & pepper"): outputs escape it.
    """
    text = _BREAK_TAGS.sub("\n", text or "")
    for _ in range(10):
        cleaned = html.unescape(nh3.clean(text, tags=set(), attributes={}, strip_comments=True))
        if cleaned == text:
            break
        text = cleaned
    return text


def sanitize(text: str) -> str:
    """Plain text, with runs of blank lines left by removed tags closed up, trimmed."""
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", plain_text(text)).strip()


def tidy(text: str) -> str:
    text = _CHAT_PREFIX.sub("", text.strip())
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip().strip('"').strip()


def trim(text: str, max_chars: int) -> str:
    """Cut to ``max_chars`` at the last sentence end that fits, else at a word boundary."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    head = text[: max_chars + 1]
    ends = [m.start() for m in _SENTENCE_END.finditer(head)]
    if head.rstrip()[-1:] in ".!?" and len(head.rstrip()) <= max_chars:
        return head.rstrip()
    cut = max((e for e in ends if e <= max_chars), default=0)
    if cut:
        return text[:cut].rstrip()
    words = text[:max_chars].rsplit(" ", 1)[0] if " " in text[:max_chars] else text[:max_chars]
    return words.rstrip(" ,;:-")


def finish(text: str, max_chars: int) -> str:
    return trim(tidy(sanitize(text)), max_chars)
