"""The artifact's row reads without scipy's machinery give the very floats of the scipy expressions they replace.

A session list's scores come from ``_weighted_rows`` and its reasons' anchors from ``_entries``; the
answer's JSON must not change by a bit, so these compare the raw float bits, not approximately.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.artifacts import _entries, _weighted_rows


def bits(values: np.ndarray) -> list[int]:
    """The exact bit patterns (so 0.0 and -0.0, or a last-bit difference, count as different)."""
    return np.ascontiguousarray(values).view(np.uint64 if values.dtype == np.float64 else np.uint32).tolist()


def random_matrix(rng: np.random.Generator, n: int, density: float, duplicates: bool) -> sp.csr_matrix:
    """A square float32 CSR matrix as artifacts hold (similarity, lift), optionally with repeated entries."""
    count = int(n * n * density)
    rows, columns = rng.integers(0, n, count), rng.integers(0, n, count)
    values = (rng.random(count) * rng.choice([1e-3, 1.0, 7.0], count)).astype(np.float32)
    if not duplicates:
        matrix = sp.coo_matrix((values, (rows, columns)), shape=(n, n)).tocsr()
        matrix.sum_duplicates()
        return matrix
    order = np.argsort(rows, kind="stable")  # CSR arrays by hand: repeated columns within a row are kept
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    return sp.csr_matrix((values[order], columns[order], indptr), shape=(n, n))


def scipy_row(weights: dict[int, float], n: int) -> sp.csr_matrix:
    """The sparse row the artifact built before (``Artifact._context_row``)."""
    items = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
    values = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
    return sp.csr_matrix((values, (np.zeros_like(items), items)), shape=(1, n))


@pytest.mark.parametrize("duplicates", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_weighted_rows_are_scipys_product_bit_for_bit(seed, duplicates):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    matrix = random_matrix(rng, n, float(rng.choice([0.01, 0.05, 0.3])), duplicates)
    for size in (0, 1, 2, 5, 20):
        items = rng.choice(n, size=min(size, n), replace=False).tolist()
        weights = {item: 0.8 ** rank for rank, item in enumerate(items)}  # a session's decay, newest first

        expected = (scipy_row(weights, n) @ matrix).toarray()[0]

        assert bits(_weighted_rows(matrix, weights)) == bits(expected)


@pytest.mark.parametrize("duplicates", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_entries_are_scipys_fancy_indexing_bit_for_bit(seed, duplicates):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(5, 400))
    matrix = random_matrix(rng, n, float(rng.choice([0.01, 0.05, 0.3])), duplicates)
    for rows_count, columns_count in ((1, 1), (3, 10), (20, 10), (1, 50)):
        rows = np.sort(rng.choice(n, size=min(rows_count, n), replace=False))
        columns = rng.choice(n, size=min(columns_count, n), replace=False)

        expected = matrix[rows][:, columns].toarray()
        found = _entries(matrix, rows, columns)

        assert found.dtype == expected.dtype and found.shape == expected.shape
        assert bits(found) == bits(expected)


def test_entries_with_a_repeated_column_take_scipys_path():
    matrix = sp.csr_matrix(np.array([[0, 1.5, 0], [2.0, 0, 3.0]], dtype=np.float32))

    found = _entries(matrix, np.array([0, 1]), np.array([2, 2, 1]))

    assert found.tolist() == [[0.0, 0.0, 1.5], [3.0, 3.0, 0.0]]
