"""A word-level diff of the AI text against the editor's text, as escaped HTML.

Inline (``<del>``/``<ins>`` in one text) reads well for small edits. When the editor rewrote most
of the text, an inline diff alternates removed and added fragments until neither version can be
read; above ``SIDE_BY_SIDE_SHARE`` of changed words the two versions are shown side by side, each
with its own changes marked.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_TOKENS = re.compile(r"\s+|[^\s]+")

# Above this share of changed words, the diff is shown side by side (see the module docstring).
SIDE_BY_SIDE_SHARE = 0.5


def _opcodes(a: list[str], b: list[str]):
    return difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()


def word_diff(before: str, after: str) -> SafeString:
    """``<del>`` what the editor removed and ``<ins>`` what they added; everything escaped."""
    a, b = _TOKENS.findall(before or ""), _TOKENS.findall(after or "")
    parts = []
    for op, i1, i2, j1, j2 in _opcodes(a, b):
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(parts))


def changed_share(before: str, after: str) -> float:
    """The share of words (of the longer text) that the edit removed or added: 0 same, 1 all new."""
    a, b = (before or "").split(), (after or "").split()
    if not a and not b:
        return 0.0
    kept = sum(size for *_, size in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_matching_blocks())
    return 1 - kept / max(len(a), len(b))


@dataclass(frozen=True)
class TextDiff:
    """How the review page shows an edit: ``inline`` (one text) or ``side_by_side`` (two)."""

    mode: str
    share: float
    inline: SafeString | None = None
    before: SafeString | None = None
    after: SafeString | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.share)


def text_diff(before: str, after: str, *, threshold: float = SIDE_BY_SIDE_SHARE) -> TextDiff:
    share = changed_share(before, after)
    if share <= threshold:
        return TextDiff("inline", share, inline=word_diff(before, after))
    a, b = _TOKENS.findall(before or ""), _TOKENS.findall(after or "")
    left, right = [], []
    for op, i1, i2, j1, j2 in _opcodes(a, b):
        removed, added = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(removed)
            right.append(added)
            continue
        if removed:
            left.append(f"<del>{removed}</del>")
        if added:
            right.append(f"<ins>{added}</ins>")
    return TextDiff("side_by_side", share, before=mark_safe("".join(left)), after=mark_safe("".join(right)))
