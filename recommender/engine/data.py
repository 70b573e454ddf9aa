"""Purchase events: loading the Online Retail export and netting cancellations.

Everything downstream works on integer indices (users, items, invoices) so that
fitting and scoring are plain numpy/scipy operations; the id vocabularies kept
beside the arrays turn indices back into the shop's own ids.
"""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ANONYMOUS = -1
"""User index of a row without a CustomerID (an anonymous basket)."""

NON_PRODUCT_CODES = frozenset(
    {"POST", "DOT", "C2", "M", "S", "D", "B", "BANK CHARGES", "AMAZONFEE", "CRUK"}
)
"""StockCodes that are fees, postage, discounts or manual adjustments, not goods.

They are dropped at load time: recommending "POSTAGE" is never useful, and
keeping them would reward models for predicting shipping charges.
"""


@dataclass(frozen=True)
class Events:
    """A table of purchase lines, one entry per row, as parallel numpy arrays.

    Rows are sorted by timestamp (stable, so file order breaks ties).
    ``quantity`` is positive for purchases and negative for cancellation lines;
    after :func:`net_cancellations` only purchases remain.
    The vocabularies are shared by every subset taken with :meth:`take`, so an
    item or user index means the same thing in a train and a test split.
    """

    user: np.ndarray  # int32 index into user_ids, ANONYMOUS for no CustomerID
    session: np.ndarray  # int32 index into session_ids (the InvoiceNo)
    item: np.ndarray  # int32 index into item_ids (the StockCode)
    quantity: np.ndarray  # int64
    timestamp: np.ndarray  # datetime64[s]
    price: np.ndarray  # float64, unit price
    user_ids: np.ndarray  # str, CustomerID per user index
    session_ids: np.ndarray  # str, InvoiceNo per session index
    item_ids: np.ndarray  # str, StockCode per item index
    item_descriptions: np.ndarray  # str, most common Description per item

    def __len__(self) -> int:
        return int(self.item.shape[0])

    @property
    def n_users(self) -> int:
        return int(self.user_ids.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.item_ids.shape[0])

    @property
    def customer(self) -> np.ndarray:
        """CustomerID per row as an object array, None for anonymous baskets."""
        ids = np.asarray(self.user_ids, dtype=object)[np.maximum(self.user, 0)]
        ids[self.user == ANONYMOUS] = None
        return ids

    @property
    def description(self) -> np.ndarray:
        """Product description per row (the item's most common one)."""
        return self.item_descriptions[self.item]

    def take(self, rows: np.ndarray) -> Events:
        """Subset of rows (boolean mask or indices), vocabularies unchanged."""
        return replace(
            self,
            user=self.user[rows],
            session=self.session[rows],
            item=self.item[rows],
            quantity=self.quantity[rows],
            timestamp=self.timestamp[rows],
            price=self.price[rows],
        )


def load_online_retail(path: str | Path, *, net: bool = True) -> Events:
    """Read the UCI Online Retail CSV (optionally gzipped) into :class:`Events`.

    Kept rows: goods (not :data:`NON_PRODUCT_CODES`) with a non-zero quantity
    on a normal invoice, plus cancellation lines (InvoiceNo starting with "C").
    Non-cancellation lines with quantity <= 0 are stock write-offs ("damaged",
    "?"), not customer actions, and are dropped.

    With ``net=True`` (the default) cancellations are applied with
    :func:`net_cancellations` and only net purchases are returned. Pass
    ``net=False`` to keep cancellation rows, e.g. to net a training period
    only with the cancellations known before its end.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = dict(zip(header, zip(*reader)))

    invoice = np.asarray(columns["InvoiceNo"])
    stock_code = np.asarray(columns["StockCode"])
    quantity = np.asarray(columns["Quantity"], dtype=np.int64)
    cancelled = np.char.startswith(invoice, "C")
    is_goods = ~np.isin(np.char.upper(stock_code), list(NON_PRODUCT_CODES))
    keep = is_goods & np.where(cancelled, quantity < 0, quantity > 0)

    rows = np.flatnonzero(keep)
    events = make_events(
        customer=np.asarray(columns["CustomerID"])[rows],
        invoice=invoice[rows],
        item=stock_code[rows],
        quantity=quantity[rows],
        timestamp=np.asarray(columns["InvoiceDate"])[rows],
        price=np.asarray(columns["UnitPrice"], dtype=np.float64)[rows],
        description=np.asarray(columns["Description"])[rows],
    )
    return net_cancellations(events) if net else events


def make_events(
    customer: Sequence[str | None],
    invoice: Sequence[str],
    item: Sequence[str],
    quantity: Sequence[int],
    timestamp: Sequence[str] | np.ndarray,
    price: Sequence[float] | None = None,
    description: Sequence[str] | None = None,
) -> Events:
    """Build :class:`Events` from parallel columns of ids (any source: CSV, ORM).

    ``customer`` is None or "" for an anonymous basket; ``timestamp`` is
    anything numpy parses as datetime64 ("2011-01-05 10:00"); a negative
    ``quantity`` is a cancellation line. Rows are sorted by time and the ids
    encoded as indices; nothing is filtered or netted here.
    """
    n_rows = len(item)
    when = np.asarray(timestamp, dtype="datetime64[s]")
    order = np.argsort(when, kind="stable")
    buyer = np.array(["" if c is None else str(c) for c in customer], dtype=str)[order]
    item_ids, item_index = np.unique(np.asarray(item, dtype=str)[order], return_inverse=True)
    session_ids, session = np.unique(np.asarray(invoice, dtype=str)[order], return_inverse=True)
    user_ids, user = np.unique(buyer, return_inverse=True)
    user = user.astype(np.int32)
    if user_ids.shape[0] and user_ids[0] == "":  # "" sorts first
        user_ids, user = user_ids[1:], user - 1  # "" becomes ANONYMOUS (-1)
    text = np.asarray(description if description is not None else [""] * n_rows, dtype=str)
    return Events(
        user=user,
        session=session.astype(np.int32),
        item=item_index.astype(np.int32),
        quantity=np.asarray(quantity, dtype=np.int64)[order],
        timestamp=when[order],
        price=np.asarray(price if price is not None else np.zeros(n_rows), dtype=np.float64)[order],
        user_ids=user_ids,
        session_ids=session_ids,
        item_ids=item_ids,
        item_descriptions=_most_common_descriptions(item_index, text[order], item_ids.shape[0]),
    )


def _most_common_descriptions(item: np.ndarray, text: np.ndarray, n_items: int) -> np.ndarray:
    """The most frequent non-empty description of each item (earliest on ties).

    The shop renames products and types notes ("ebay", "damaged") into the
    field now and then; the majority name is the stable, customer-facing one.
    """
    best: dict[int, tuple[int, str]] = {}
    for (index, name), count in Counter(zip(item.tolist(), text.tolist())).items():
        if name and count > best.get(index, (0, ""))[0]:
            best[index] = (count, name)
    return np.array([best.get(index, (0, ""))[1] for index in range(n_items)], dtype=str)


def net_cancellations(events: Events) -> Events:
    """Apply cancellation lines to the purchases they cancel; drop them after.

    Rule: a cancellation of ``q`` units of item ``i`` by customer ``c`` at time
    ``t`` removes ``q`` units from ``c``'s purchase lines of ``i`` dated at or
    before ``t``, most recent first (the order being cancelled is almost
    always the latest one). A line reduced to zero units disappears; a
    partially cancelled line keeps its remaining units. Units left over (the
    purchase predates the data, or the cancellation is anonymous and cannot be
    matched to a buyer) are ignored.
    """
    is_cancel = events.quantity < 0
    remaining = np.where(is_cancel, 0, events.quantity)
    purchases = np.flatnonzero(~is_cancel & (events.user != ANONYMOUS))
    key = events.user[purchases].astype(np.int64) * events.n_items + events.item[purchases]
    by_key_then_time = np.lexsort((events.timestamp[purchases], key))
    by_key, sorted_key = purchases[by_key_then_time], key[by_key_then_time]

    for row in np.flatnonzero(is_cancel & (events.user != ANONYMOUS)):
        row_key = int(events.user[row]) * events.n_items + int(events.item[row])
        start, stop = np.searchsorted(sorted_key, [row_key, row_key + 1])
        candidates = by_key[start:stop]
        candidates = candidates[events.timestamp[candidates] <= events.timestamp[row]]
        to_cancel = -int(events.quantity[row])
        for line in candidates[::-1]:
            taken = min(to_cancel, int(remaining[line]))
            remaining[line] -= taken
            to_cancel -= taken
            if to_cancel == 0:
                break

    kept = replace(events, quantity=remaining)
    return kept.take(np.flatnonzero(remaining > 0))
