"""Importing events: an Online Retail export becomes products and purchase events."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from content import services as content_services
from content.models import Product
from recommender import online_retail
from recommender.models import Event, EventType
from recommender.services._base import _chunks

ONLINE_RETAIL_SOURCE = "online-retail"


@dataclass
class EventImportResult:
    lines: int = 0
    events_in_file: int = 0  # purchase and cancellation lines read
    created: int = 0  # events stored by this run (a re-import stores none)
    products_created: int = 0
    not_goods: int = 0
    not_purchases: int = 0
    errors: list[online_retail.LineError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def already_there(self) -> int:
        return self.events_in_file - self.created


ImportProgress = Callable[[str, int, int], None]  # (stage, done, total)


def events_import_online_retail(*, path: str | Path, source: str = ONLINE_RETAIL_SOURCE,
                                batch_size: int = 5000, progress: ImportProgress | None = None) -> EventImportResult:
    """Import an Online Retail export: its products (by SKU = StockCode) and its purchases as events.

    Invariants: a refused line never stops the import (it is reported with its line
    number); importing the same file again adds nothing, because each line's
    ``client_id`` is ``invoice:SKU:n`` (the n-th line of that SKU on that invoice) and
    ``(source, client_id)`` is unique. Cancellations are stored as purchases with a
    negative quantity and netted at training time. New products get the most common
    Description as title, a unique slug, the last price and no stock; existing
    products are left as the catalogue import made them.
    """
    started = time.perf_counter()
    stats = online_retail.ReadStats()
    report = (lambda done, total: progress("read", done, total)) if progress else None
    lines = list(online_retail.read_online_retail(path, stats, report))
    result = EventImportResult(lines=stats.lines, events_in_file=len(lines), not_goods=stats.not_goods,
                               not_purchases=stats.not_purchases, errors=stats.errors)

    product_ids, result.products_created = _products_for_lines(lines)

    seen: Counter = Counter()
    received_at = timezone.now()
    before = Event.objects.filter(source=source).count()
    for start in range(0, len(lines), batch_size):
        rows = []
        for line in lines[start : start + batch_size]:
            key = (line.invoice, line.sku)
            seen[key] += 1
            rows.append((source, f"{line.invoice}:{line.sku}:{seen[key]}", EventType.PURCHASE.value,
                         product_ids[line.sku], "", "", line.customer, line.invoice, line.quantity, line.price,
                         line.occurred_at, received_at))
        with transaction.atomic():
            _insert_events(rows)
        if progress:
            progress("write", min(start + batch_size, len(lines)), len(lines))
    result.created = Event.objects.filter(source=source).count() - before
    result.seconds = time.perf_counter() - started
    return result


_EVENT_COLUMNS = ("source", "client_id", "type", "product_id", "query", "session_id", "customer_id", "order_id",
                  "quantity", "price", "occurred_at", "received_at", "experiment_variant")


def _insert_events(rows: list[tuple]) -> None:
    """Insert event rows (in ``_EVENT_COLUMNS`` order), skipping ``(source, client_id)`` already stored.

    Raw SQL because the ORM's ``bulk_create`` spends most of an import preparing each
    field of each row in Python (about 80 s of 110 s for the Online Retail file on
    SQLite); here a row is a tuple and only the dates and prices are adapted.
    """
    ops = connection.ops
    price_field = Event._meta.get_field("price")
    prepared = [
        (
            *row[:9],
            None
            if row[9] is None
            else ops.adapt_decimalfield_value(row[9], price_field.max_digits, price_field.decimal_places),
            ops.adapt_datetimefield_value(row[10]),
            ops.adapt_datetimefield_value(row[11]),
            "",
        )  # experiment_variant: an imported order saw no copy experiment (NOT NULL, no database default)
        for row in rows
    ]
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _EVENT_COLUMNS)
    one_row = "(" + ", ".join(["%s"] * len(_EVENT_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # executemany runs the one-row statement in SQLite's C loop: no per-row Python.
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one_row} ON CONFLICT DO NOTHING", prepared)
            return
        for chunk in _chunks(prepared, 1000):  # PostgreSQL: one round trip per 1,000 rows
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([one_row] * len(chunk))} "
                           "ON CONFLICT DO NOTHING", [value for row in chunk for value in row])


def _products_for_lines(lines: list[online_retail.Line]) -> tuple[dict[str, int], int]:
    """Product id by SKU for every SKU in ``lines``, creating the missing products in bulk."""
    names: dict[str, Counter] = {}
    prices = {}
    for line in lines:
        names.setdefault(line.sku, Counter())[line.description] += 1
        if line.quantity > 0 and line.price is not None:
            prices[line.sku] = line.price
    skus = list(names)
    found = {}
    for chunk in _chunks(skus):
        found.update(Product.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    missing = [sku for sku in skus if sku not in found]
    if missing:
        titles = {sku: _title(names[sku], sku) for sku in missing}
        slugs = _unique_slugs(
            {sku: slugify(f"{titles[sku]}-{sku}")[:190] or slugify(sku) or "product" for sku in missing}
        )
        with transaction.atomic():
            Product.objects.bulk_create(
                [Product(sku=sku, slug=slugs[sku], title=titles[sku], price=prices.get(sku), currency="GBP", stock=0)
                 for sku in missing],
                batch_size=500, ignore_conflicts=True,  # a concurrent import may have created some
            )
            content_services.catalog_changed()  # new active products: the storefront's cached pages go stale
        for chunk in _chunks(missing):
            found.update(Product.objects.filter(sku__in=chunk).values_list("sku", "pk"))
    return found, len(missing)


def _title(names: Counter, sku: str) -> str:
    """The most common non-empty description (the shop renames products and types notes into it)."""
    best = [name for name, _ in names.most_common() if name]
    return (best[0] if best else sku)[:300]


def _unique_slugs(wanted: dict[str, str]) -> dict[str, str]:
    """Slugs no product has and no two new products share (SKUs may differ only in case)."""
    taken = set()
    values = list(set(wanted.values()))
    for chunk in _chunks(values):
        taken.update(Product.objects.filter(slug__in=chunk).values_list("slug", flat=True))
    # Suffixed candidates could also be taken; check them in one more query each round.
    result: dict[str, str] = {}
    pending = dict(wanted)
    suffix = 1
    while pending:
        candidates = {sku: (base if suffix == 1 else f"{base[:190]}-{suffix}") for sku, base in pending.items()}
        if suffix > 1:
            for chunk in _chunks(list(candidates.values())):
                taken.update(Product.objects.filter(slug__in=chunk).values_list("slug", flat=True))
        still = {}
        for sku, slug in candidates.items():
            if slug in taken:
                still[sku] = pending[sku]
            else:
                taken.add(slug)
                result[sku] = slug
        pending, suffix = still, suffix + 1
    return result
