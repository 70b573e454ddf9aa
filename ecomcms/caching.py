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

from django.db import IntegrityError, transaction
from django.db.models import F

from ecomcms.models import CacheGeneration


def generation(name: str) -> int:
    """The current generation of ``name`` (0 until its first bump): one indexed query."""
    return CacheGeneration.objects.filter(name=name).values_list("value", flat=True).first() or 0


def generation_bump(name: str) -> None:
    """Make every cached entry of ``name`` stale, in every process (part of the caller's transaction)."""
    if CacheGeneration.objects.filter(name=name).update(value=F("value") + 1):
        return
    try:
        with transaction.atomic():
            CacheGeneration.objects.create(name=name, value=1)
    except IntegrityError:  # created by a concurrent first bump
        CacheGeneration.objects.filter(name=name).update(value=F("value") + 1)
