"""PostgreSQL records a batch of events in one statement; it must decide every event as the steps do.

The steps (``_events_record_in_steps``, SQLite's path) are the reference: on generated batches with
repeated ids, ids already stored, unknown products, a SKU that is another product's slug, equal
times, searches, prices and sessions linked to customers, both must answer the same and leave the
same rows, in the same order.
"""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from recommender.models import Event
from storefront import services
from tests.content.factories import make_product

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the one statement is PostgreSQL's")]

AT = timezone.now() - timedelta(hours=1)
REFERENCES = ["SKU-A", "slug-a", "SKU-B", "slug-b", "SKU-B-AS-SLUG", "nothing", "nothing-else"]


def batch(rng: random.Random, size: int) -> list[tuple[int, dict]]:
    events = []
    for index in range(size):
        data = {"id": f"e-{rng.randrange(8)}", "type": "view", "session_id": f"s-{rng.randrange(3)}",
                "quantity": rng.choice([1, 2, -1]), "occurred_at": AT + timedelta(minutes=rng.randrange(4))}
        if rng.random() < 0.2:
            data |= {"type": "search", "query": rng.choice(["mug", "blue mug"])}
        else:
            data["product"] = rng.choice(REFERENCES)
        if data["quantity"] < 0 or rng.random() < 0.3:
            data |= {"type": "purchase", "order_id": f"o-{rng.randrange(3)}",
                     "price": rng.choice([None, Decimal("19.90"), Decimal("0.5")])}
        customer = rng.choice([None, None, "", "c-1", "c-2"])
        if customer is not None:
            data["customer_id"] = customer
        if rng.random() < 0.2:
            data["variant"] = "3:B"
        events.append((index, data))
    return events


def outcome(record, *, source, events) -> tuple:
    """What ``record`` answers and the rows it leaves, undone afterwards."""
    with transaction.atomic():
        result = record(source=source, events=events)
        rows = list(Event.objects.order_by("pk").values_list(
            "source", "client_id", "type", "product_id", "query", "session_id", "customer_id", "order_id",
            "quantity", "price", "occurred_at", "experiment_variant"))
        transaction.set_rollback(True)
    return result, rows


def test_one_statement_decides_every_event_as_the_steps_do():
    make_product(sku="SKU-A", slug="slug-a")
    make_product(sku="SKU-B", slug="slug-b")
    make_product(sku="SKU-C", slug="sku-b-as-slug")
    make_product(sku="SKU-D", slug="SKU-B-AS-SLUG")  # a slug that is also ...
    make_product(sku="SKU-B-AS-SLUG", slug="slug-e")  # ... another product's SKU: the SKU wins
    rng = random.Random(17)
    compared = {"accepted": 0, "duplicates": 0, "rejected": 0, "attributed": 0}
    for _ in range(60):
        stored = batch(rng, rng.randrange(0, 6))
        for source in ("token:1", "token:2"):
            services._events_record_in_steps(source=source, events=stored)
        events = batch(rng, rng.randrange(1, 14))

        steps = outcome(services._events_record_in_steps, source="token:1", events=events)
        one = outcome(services._events_record_in_one_statement, source="token:1", events=events)

        assert one == steps, events
        result = one[0]
        compared["accepted"] += result.accepted
        compared["duplicates"] += result.duplicates
        compared["rejected"] += len(result.rejected)
        compared["attributed"] += sum(1 for row in one[1] if row[0] == "token:1" and row[6])
        Event.objects.all().delete()
    # the generated batches did reach every outcome
    assert all(count > 20 for count in compared.values()), compared


def test_a_batch_is_one_statement_and_no_transaction():
    make_product(sku="SKU-A", slug="slug-a")

    with CaptureQueriesContext(connection) as queries:
        result = services.events_record(source="token:1", events=batch(random.Random(3), 10))

    assert result.accepted > 0
    assert len(queries) == 1
