"""What the recommender services share: errors, the permission check, chunked queries."""

from __future__ import annotations

IN_CHUNK = 500  # values per `__in` query: well under SQLite's 999 variables


class RecommenderError(Exception):
    """A request the recommender refuses; the message is for the person who made it."""


class NotAllowed(RecommenderError):
    pass


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(f"ecomcms_recommender.{permission}"):
        raise NotAllowed(f"{actor} may not {permission.replace('_', ' ')}")


def _chunks(values: list, size: int = IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]
