"""Generations: invalidating cached reads across processes with one counter per kind of data.

A reader takes ``generation(name)`` first and keys what it caches by it; a writer calls
``generation_bump(name)`` in the transaction that changes the data. Because the reader reads
the counter before the data, an entry stored under generation N holds data at least as new as
N, and once the bump commits no reader uses an entry of an older generation again. Entries of
old generations are never read again and expire with their timeout.

The counter is a database row, not a cache key: web processes and Celery workers share the
database, while the default cache (local memory) is per process, so a publication made by a
worker or another web process still reaches every process's cache at once.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from ecomcms.models import CacheGeneration
from ecomcms.sql import as_health_check

_SELECT = (
    f"SELECT {connection.ops.quote_name('value')} FROM {connection.ops.quote_name(CacheGeneration._meta.db_table)} "
    f"WHERE {connection.ops.quote_name('name')} = %s"
)


def generation(name: str) -> int:
    """The current generation of ``name`` (0 until its first bump): one query by primary key.

    Read on every cached request, so written without the ORM's query compiler (most of its cost).
    """
    rows = _read(_SELECT, [name])
    return rows[0][0] if rows else 0


def _read(sql: str, params: list) -> list[tuple]:
    """Run a read that, as a request's first query, also serves as the connection's health check: on a cached
    answer, whose only query is the generation read, the separate ``SELECT 1`` was one of its two round trips."""
    return as_health_check(lambda: _fetch(sql, params))


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def generations(*names: str) -> tuple[int, ...]:
    """The current generations of ``names``, in that order, in one query (a cached answer that depends on
    several kinds of data reads them all at once)."""
    if len(names) == 1:
        return (generation(names[0]),)
    table = connection.ops.quote_name(CacheGeneration._meta.db_table)
    name, value = connection.ops.quote_name("name"), connection.ops.quote_name("value")
    found = dict(_read(f"SELECT {name}, {value} FROM {table} WHERE {name} IN ({', '.join(['%s'] * len(names))})",
                       list(names)))
    return tuple(found.get(n, 0) for n in names)


def generation_bump(name: str) -> None:
    """Make every cached entry of ``name`` stale, in every process (part of the caller's transaction)."""
    if CacheGeneration.objects.filter(name=name).update(value=F("value") + 1):
        return
    try:
        with transaction.atomic():
            CacheGeneration.objects.create(name=name, value=1)
    except IntegrityError:  # created by a concurrent first bump
        CacheGeneration.objects.filter(name=name).update(value=F("value") + 1)
