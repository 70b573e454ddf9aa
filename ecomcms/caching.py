"""Generations: invalidating cached reads across processes with one counter per kind of data.

A reader takes ``generation(name)`` first and keys what it caches by it; a writer calls
``generation_bump(name)`` in the transaction that changes the data. Because the reader reads
the counter before the data, an entry stored under generation N holds data at least as new as
N, and once the bump commits no reader uses an entry of an older generation again. Entries of
old generations are never read again and expire with their timeout.

The counter is a database row, not a cache key: web processes and Celery workers share the
database, while the default cache (local memory) is per process, so a publication made by a
worker or another web process still reaches every process's cache at once.

It is read on every cached answer, so on PostgreSQL, outside a transaction, the read is one
simple-protocol query sent through libpq on Django's own connection (``psycopg``'s ``pgconn``):
no Django cursor, no parameter binding and one protocol message, which cost the web process and
the database server about half of what the same read through Django's cursor did (a profile,
docs/performance.md "Fourth pass"). The names are the code's own constants, written into the
SQL text as literals only when they are plain words. Whenever Django records or wraps queries
(``DEBUG``, the query-count tests' ``CaptureQueriesContext``, ``connection.execute_wrapper``),
inside a transaction, and on SQLite, the read goes through Django's cursor as before.
"""

from __future__ import annotations

import re

import psycopg
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.db.models import F

from ecomcms.models import CacheGeneration
from ecomcms.sql import as_health_check

_TABLE, _NAME, _VALUE = CacheGeneration._meta.db_table, "name", "value"
_PLAIN = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
_SIMPLE_SQL: dict[tuple[str, ...], bytes] = {}  # names -> the PostgreSQL query with them as literals


def generation(name: str) -> int:
    """The current generation of ``name`` (0 until its first bump): one query by primary key."""
    return generations(name)[0]


def generations(*names: str) -> tuple[int, ...]:
    """The current generations of ``names``, in that order, in one query (a cached answer that depends on
    several kinds of data reads them all at once).

    The read, as a request's first query, also serves as the connection's health check
    (``ecomcms.sql.as_health_check``): on a cached answer, whose only query is this read, the
    separate ``SELECT 1`` was one of its two round trips.
    """
    found = dict(as_health_check(lambda: _read(names)))
    return tuple(found.get(n, 0) for n in names)


def _read(names: tuple[str, ...]) -> list[tuple[str, int]]:
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor == "postgresql" and not db.queries_logged and not db.execute_wrappers:
        sql = _SIMPLE_SQL.get(names)
        if sql is None and all(_PLAIN.fullmatch(n) for n in names):
            sql = _SIMPLE_SQL[names] = (
                f'SELECT "{_NAME}", "{_VALUE}" FROM "{_TABLE}" WHERE "{_NAME}" IN '
                f"({', '.join(repr(n) for n in names)})").encode()
        if sql is not None:
            db.ensure_connection()
            if db.get_autocommit():
                return _simple_query(db, sql)
    quote = db.ops.quote_name
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {quote(_NAME)}, {quote(_VALUE)} FROM {quote(_TABLE)} WHERE {quote(_NAME)} IN "
                       f"({', '.join(['%s'] * len(names))})", list(names))
        return cursor.fetchall()


def _simple_query(db, sql: bytes) -> list[tuple[str, int]]:
    """``sql`` through libpq's simple protocol on ``db``'s connection (in autocommit: nothing to begin).

    Errors come out as Django's (``wrap_database_errors``, as from its cursors), so ``as_health_check``
    replaces a dead kept connection as it would after a cursor's error.
    """
    with db.wrap_database_errors:
        result = db.connection.pgconn.exec_(sql)
        if result.status != psycopg.pq.ExecStatus.TUPLES_OK:
            raise psycopg.errors.error_from_result(result)
        return [(result.get_value(row, 0).decode(), int(result.get_value(row, 1))) for row in range(result.ntuples)]


def generation_bump(name: str) -> None:
    """Make every cached entry of ``name`` stale, in every process (part of the caller's transaction)."""
    if CacheGeneration.objects.filter(name=name).update(value=F("value") + 1):
        return
    try:
        with transaction.atomic():
            CacheGeneration.objects.create(name=name, value=1)
    except IntegrityError:  # created by a concurrent first bump
        CacheGeneration.objects.filter(name=name).update(value=F("value") + 1)
