"""What happens to model output before anyone sees it: sanitize, tidy, trim to the channel's limit."""

from __future__ import annotations

import re

import nh3

# Copy is plain text with, at most, light emphasis; anything else (scripts, links, styles) goes.
ALLOWED_TAGS = {"b", "strong", "i", "em", "br", "p", "ul", "li"}

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_CHAT_PREFIX = re.compile(
    r"^\s*(?:(?:sure|certainly|of course)[,!.]\s*|here(?:'s| is) (?:a|an|the|your)[^:\n]*:\s*)+", re.IGNORECASE
)


def sanitize(text: str) -> str:
    """Keep only a small set of harmless tags; everything else is stripped (content of scripts too)."""
    return nh3.clean(text, tags=ALLOWED_TAGS, attributes={}, strip_comments=True, link_rel=None).strip()


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
