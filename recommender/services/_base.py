"""What the recommender services share: errors and chunked queries."""

from __future__ import annotations

from ecomcms import errors

IN_CHUNK = 500  # values per `__in` query: well under SQLite's 999 variables


class RecommenderError(errors.ServiceError):
    """A request the recommender refuses; the message is for the person who made it."""


class NotAllowed(RecommenderError, errors.NotAllowed):
    """The actor lacks the recommender permission this needs."""


def _chunks(values: list, size: int = IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]
