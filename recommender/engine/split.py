"""Temporal train/test split: fit on the past, predict each customer's next month."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import ANONYMOUS, Events, net_cancellations


@dataclass(frozen=True)
class Split:
    """Training events plus, per test customer, the items to be predicted.

    ``relevant[n]`` holds the distinct item indices that ``test_users[n]``
    bought in the test window, including items they had bought before the
    cut: a repeat purchase is a correct prediction, not a leak.
    """

    train: Events
    test_users: np.ndarray  # int32 user indices, ascending
    relevant: list[np.ndarray]  # distinct item indices per test user
    cut: np.datetime64  # first instant of the test window

    @property
    def catalog(self) -> np.ndarray:
        """Items that can be recommended: those bought at least once in train."""
        return np.unique(self.train.item)


def temporal_split(events: Events, test_days: int) -> Split:
    """Cut ``test_days`` before the last event; train before, test from the cut.

    Test customers are those with a known CustomerID and purchases both before
    and after the cut (a cold customer has nothing to personalise from, and
    the cold path is plain popularity, measured by the popularity baseline).

    ``events`` may still hold cancellation rows (``load_online_retail(...,
    net=False)``): training purchases are then netted only with cancellations
    made before the cut, so nothing from the test window leaks into training,
    while the test targets are netted with every cancellation.
    """
    cut = events.timestamp.max() - np.timedelta64(test_days, "D")
    train = net_cancellations(events.take(events.timestamp < cut))
    settled = net_cancellations(events)
    test = settled.take((settled.timestamp >= cut) & (settled.user != ANONYMOUS))

    known_before = np.unique(train.user[train.user != ANONYMOUS])
    in_test = np.isin(test.user, known_before)
    pairs = np.unique(np.stack([test.user[in_test], test.item[in_test]]), axis=1)
    test_users, starts = np.unique(pairs[0], return_index=True)
    relevant = np.split(pairs[1], starts[1:]) if starts.size else []
    return Split(
        train=train,
        test_users=test_users.astype(np.int32),
        relevant=[items.astype(np.int32) for items in relevant],
        cut=cut,
    )
