"""Builders for recommender tests: published products, purchases and views, a trained active version."""

from __future__ import annotations

import csv
import gzip
import itertools
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from recommender import services
from recommender.models import Event, EventType, ModelVersion
from storefront.services import token_create
from tests.content.factories import make_product
from tests.storefront.factories import publish

_ids = itertools.count(1)


def make_shop_product(slug: str, category: str, *, published: bool = True, **fields):
    """A product a shopper may be shown: active, in stock and (by default) with published copy."""
    fields = {"sku": slug.upper(), "title": slug.replace("-", " ").title(), **fields}
    product = make_product(slug=slug, category=category, **fields)
    if published:
        publish(product, f"The {product.title}.")
    return product


def buy(customer: str, order: str, products, *, days_ago: float = 10, quantity: int = 1, source: str = "test"):
    when = timezone.now() - timedelta(days=days_ago)
    return [Event.objects.create(source=source, client_id=f"e{next(_ids)}", type=EventType.PURCHASE, product=p,
                                 customer_id=customer, order_id=order, quantity=quantity, occurred_at=when,
                                 session_id=f"session-{order}")
            for p in products]


def view(session: str, products, *, minutes_ago: float = 10, customer: str = ""):
    now = timezone.now()
    return [Event.objects.create(source="test", client_id=f"e{next(_ids)}", type=EventType.VIEW, product=p,
                                 session_id=session, customer_id=customer,
                                 occurred_at=now - timedelta(minutes=minutes_ago - i))
            for i, p in enumerate(products)]


def train(*, activate: bool = True, **kwargs) -> ModelVersion:
    kwargs.setdefault("embeddings", "off")
    kwargs.setdefault("evaluate", False)
    return services.model_train(activate=activate, **kwargs)


def recommendations_token(*scopes: str) -> str:
    """A storefront token's secret carrying exactly ``scopes``."""
    return token_create(name="shop", scopes=list(scopes))[1]


HEADER = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]


def write_online_retail(path: Path, rows: list[list]) -> Path:
    """An Online Retail CSV (gzipped when the name ends in .gz) with the given rows after the header."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def synthetic_online_retail(path: Path, *, customers: int = 30, days: int = 90) -> Path:
    """A small shop in the Online Retail layout: each customer has a favourite group of items it reorders,
    so every recommender has something to find and customers buy both before and after any cut."""
    groups = [["A1", "A2", "A3", "A4"], ["B1", "B2", "B3"], ["C1", "C2", "C3", "C4", "C5"]]
    start = datetime(2011, 9, 1, 9, 0)
    rows, invoice = [], 500000
    for c in range(customers):
        group = groups[c % len(groups)]
        for visit in range(6):
            invoice += 1
            when = start + timedelta(days=(c * 7 + visit * 15) % days, hours=c % 8)
            items = [group[(visit + j) % len(group)] for j in range(2)] + [groups[(c + 1) % 3][visit % 3]]
            for sku in dict.fromkeys(items):
                rows.append([str(invoice), sku, f"ITEM {sku}", "2", when.strftime("%Y-%m-%d %H:%M:%S"), "1.25",
                             str(12000 + c), "United Kingdom"])
    return write_online_retail(path, rows)
