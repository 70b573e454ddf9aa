"""One stable assignment for experiment arms, split jobs and held-out splits (ecomcms.assign)."""

import hashlib

import pytest

from ecomcms.assign import stable_bucket, stable_fraction, stable_hash


def test_stable_hash_is_the_documented_sha256_prefix():
    expected = int.from_bytes(hashlib.sha256(b"7:visitor-1").digest()[:8], "big")
    assert stable_hash(7, "visitor-1") == expected


def test_lone_surrogates_in_a_visitor_id_do_not_raise():
    assert 0 <= stable_bucket(1, "bad\udcff", count=3) < 3


def test_buckets_are_near_uniform_and_repeatable():
    counts = [0, 0, 0]
    for visitor in range(3000):
        counts[stable_bucket(5, visitor, count=3)] += 1
    assert all(900 < c < 1100 for c in counts), counts
    assert [stable_bucket(5, v, count=3) for v in range(50)] == [stable_bucket(5, v, count=3) for v in range(50)]


def test_fraction_picks_the_share_asked_for():
    picked = sum(stable_fraction(0, f"product:{i}") < 0.2 for i in range(5000))
    assert 900 < picked < 1100
    assert all(0 <= stable_fraction(i) < 1 for i in range(100))


def test_count_must_be_positive():
    with pytest.raises(ValueError):
        stable_bucket("x", count=0)
