"""Automatic checks on AI-written product copy, shown to the editor before approval.

Every check is a plain rule an editor can follow: each result says in one sentence what was
found and gives character spans into the text, so the review screen can highlight the words.
The checks only advise; a person still decides. Nothing here touches the database: the caller
passes in the product facts, the sources the model was given and the similarity scores.

By concern: ``text`` (length, loops, banned phrases, links and markup, near duplicates),
``facts`` (every claim must be in the product data), ``defects`` (cut off, placeholders, the
wrong voice) and ``comment`` (the facts in an editor's "request changes" comment).
"""

from __future__ import annotations

from collections.abc import Sequence

from content.checks.base import Finding, highlight
from content.checks.comment import CommentFact, attributes_with_comment, check_editor_comment, comment_facts
from content.checks.defects import check_cut_off, check_placeholders, check_voice
from content.checks.facts import CERTIFICATIONS, COLOURS, FEATURES, MATERIALS, Facts, check_facts, facts_from
from content.checks.text import (
    _check_banned_phrases,
    _check_empty_or_repeated,
    _check_length,
    _check_links_and_scripts,
    _check_near_duplicate,
)

__all__ = [
    "CERTIFICATIONS", "CHECK_NAMES", "COLOURS", "FEATURES", "MATERIALS", "CommentFact", "Facts", "Finding",
    "all_passed", "attributes_with_comment", "comment_facts", "facts_from", "failed_names", "highlight",
    "near_duplicate_result", "run_checks",
]

CHECK_NAMES = (
    "length", "empty_or_repeated", "banned_phrases", "facts", "links_and_scripts", "cut_off", "placeholders",
    "voice", "editor_comment", "near_duplicate",
)

# Below this limit a kind of copy (a headline, a title) cannot carry every fact of a comment.
COMMENT_MENTIONS_MIN_CHARS = 150


def run_checks(
    text: str,
    *,
    max_chars: int,
    min_chars: int = 1,
    attributes: dict[str, str],
    title: str = "",
    brand: str = "",
    category: str = "",
    price=None,
    currency: str = "",
    banned_phrases: Sequence[str] = (),
    sources: str = "",
    data: str = "",
    feedback: str = "",
    complete_sentences: bool = True,
    near_duplicates: Sequence[tuple[str, float]] = (),
    near_duplicate_threshold: float = 0.92,
    near_duplicate_pending: bool = False,
) -> list[dict]:
    """Run every check on one draft; one JSON-ready result per check, in CHECK_NAMES order.

    ``price`` and ``currency``: the product's, which any price in the text must equal.
    ``feedback``: the editor's comment a regenerated draft was written with; the facts it
    states override the attributes. ``complete_sentences``: the kind is prose that must
    end at a sentence mark (not a headline or a title).
    """
    corrected = attributes_with_comment(attributes, feedback) if feedback else attributes
    facts = facts_from(corrected, title, brand, category, price=price, currency=currency)
    return [
        _check_length(text, min_chars, max_chars),
        _check_empty_or_repeated(text),
        _check_banned_phrases(text, banned_phrases),
        check_facts(text, facts),
        _check_links_and_scripts(text, sources, data),
        check_cut_off(text, complete_sentences),
        check_placeholders(text, facts.keyed_text),
        check_voice(text, facts.keyed_text),
        check_editor_comment(text, feedback, require_mentions=max_chars >= COMMENT_MENTIONS_MIN_CHARS),
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
