"""Sparse matrices and weights built from purchase events, shared by all models.

The unit of evidence everywhere is a *purchase occasion*: one item on one
invoice. Counting occasions rather than lines or units keeps a single bulk
order of 500 units, or an item split over two lines, from swamping the signal.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .data import ANONYMOUS, Events

SECONDS_PER_DAY = 86_400.0


def purchase_occasions(events: Events) -> Events:
    """One row per distinct (invoice, item): the first line of each pair."""
    key = events.session.astype(np.int64) * events.n_items + events.item
    first = np.unique(key, return_index=True)[1]
    return events.take(np.sort(first))


def age_in_days(events: Events, now: np.datetime64) -> np.ndarray:
    """Days between each event and ``now`` (positive for the past)."""
    return (now - events.timestamp).astype("timedelta64[s]").astype(np.float64) / SECONDS_PER_DAY


def half_life_decay(age_days: np.ndarray, half_life_days: float | None) -> np.ndarray:
    """Weight 0.5 ** (age / half_life): a purchase half_life days old counts half.

    ``None`` means no decay (every purchase weighs 1), i.e. plain counting.
    """
    if half_life_days is None:
        return np.ones_like(age_days)
    return np.exp2(-age_days / half_life_days)


def user_item_matrix(events: Events, weights: np.ndarray | None = None) -> sp.csr_matrix:
    """Known-user x item matrix, summing ``weights`` (default 1) over rows.

    Pass occasions to count purchase occasions; anonymous rows are skipped.
    """
    known = events.user != ANONYMOUS
    values = np.ones(len(events)) if weights is None else weights
    return sp.csr_matrix(
        (values[known], (events.user[known], events.item[known])),
        shape=(events.n_users, events.n_items),
    )


def buyer_item_matrix(events: Events) -> sp.csr_matrix:
    """Binary buyer x item matrix where anonymous invoices are buyers of their own.

    Rows ``0..n_users-1`` are customers, the rest one row per anonymous
    invoice: a guest basket is still evidence that its items go together.
    """
    buyer = np.where(events.user != ANONYMOUS, events.user, events.n_users + events.session)
    matrix = sp.csr_matrix(
        (np.ones(len(events), dtype=np.float32), (buyer, events.item)),
        shape=(events.n_users + events.session_ids.shape[0], events.n_items),
    )
    matrix.data[:] = 1.0  # repeated purchases were summed; presence is binary
    return matrix


def basket_item_matrix(events: Events) -> sp.csr_matrix:
    """Binary invoice x item matrix (anonymous invoices included)."""
    matrix = sp.csr_matrix(
        (np.ones(len(events), dtype=np.float32), (events.session, events.item)),
        shape=(events.session_ids.shape[0], events.n_items),
    )
    matrix.data[:] = 1.0
    return matrix


def rows_of(matrix: sp.csr_matrix, users: np.ndarray) -> sp.csr_matrix:
    """Rows of a user x item matrix; users outside the matrix (new visitors,
    ``ANONYMOUS``) get an empty row instead of wrapping around to another user.
    """
    users = np.asarray(users)
    known = (users >= 0) & (users < matrix.shape[0])
    selector = sp.csr_matrix(
        (np.ones(known.sum()), (np.flatnonzero(known), users[known])),
        shape=(users.shape[0], matrix.shape[0]),
    )
    return (selector @ matrix).tocsr()


def last_basket_matrix(events: Events, users: np.ndarray) -> sp.csr_matrix:
    """Binary users x item matrix of the items on each user's latest invoice."""
    newest_first = np.flatnonzero(events.user != ANONYMOUS)[::-1]  # rows are time-sorted
    buyers, newest_row = np.unique(events.user[newest_first], return_index=True)
    latest_session = np.full(events.n_users, -1, dtype=np.int64)
    latest_session[buyers] = events.session[newest_first[newest_row]]
    known = events.user != ANONYMOUS
    on_latest = known & (events.session == latest_session[np.where(known, events.user, 0)])
    matrix = user_item_matrix(events.take(on_latest))
    matrix.data[:] = 1.0
    return rows_of(matrix, users)


def top_k_per_row(similarity: sp.csr_matrix, k: int, chunk: int = 512) -> sp.csr_matrix:
    """Keep the ``k`` largest positive entries of each row (its nearest neighbours).

    Pruning makes scoring a sparse product and drops the long tail of weak,
    mostly coincidental co-occurrences. Works in row chunks so memory stays
    bounded for large catalogs.
    """
    n_rows, n_cols = similarity.shape
    k = min(k, n_cols)
    pieces = []
    for start in range(0, n_rows, chunk):
        block = similarity[start : start + chunk].toarray()
        if k < n_cols:
            drop = np.argpartition(-block, k - 1, axis=1)[:, k:]
            np.put_along_axis(block, drop, 0.0, axis=1)
        block[block < 0] = 0.0
        pieces.append(sp.csr_matrix(block))
    return sp.vstack(pieces, format="csr") if pieces else sp.csr_matrix((n_rows, n_cols))
