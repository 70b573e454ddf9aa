"""Stable, stateless assignment of keys to buckets (experiment arms, held-out splits).

Every caller hashes the same way: SHA-256 of the parts joined with ":", the first 8 bytes read as
a big-endian integer. The same parts give the same answer in every process, on every host, forever;
nothing is stored.
"""

from __future__ import annotations

import hashlib


def stable_hash(*parts: object) -> int:
    """A 64-bit integer from ``parts`` (joined with ":"; lone surrogates in text survive)."""
    key = ":".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()[:8], "big")


def stable_bucket(*parts: object, count: int) -> int:
    """One of ``count`` buckets (0 .. count-1), near-uniform over keys."""
    if count < 1:
        raise ValueError("count must be at least 1")
    return stable_hash(*parts) % count


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1), uniform over keys: ``stable_fraction(...) < share`` picks a ``share`` of them."""
    return stable_hash(*parts) / 2 ** 64
