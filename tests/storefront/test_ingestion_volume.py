"""Acceptance: 100,000 events through the API in batches of 500; a retried batch adds nothing."""

import time

import pytest

from recommender.models import Event
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db

BATCHES, BATCH_SIZE = 200, 500
TYPES = ["view", "view", "view", "add_to_cart", "remove_from_cart", "purchase"]


def batch(number: int, skus: list[str]) -> dict:
    events = []
    for n in range(number * BATCH_SIZE, (number + 1) * BATCH_SIZE):
        session = f"s-{n // 20}"
        events.append({"id": f"e-{n}", "type": TYPES[n % len(TYPES)], "product": skus[n % len(skus)],
                       "session_id": session, "occurred_at": f"2026-03-01T{n // 6000 % 24:02d}:{n // 100 % 60:02d}:00Z"}
                      | ({"customer_id": f"c-{n // 20}"} if n % 20 == 19 else {}))
    return {"events": events}


def test_100000_events_are_stored_once_even_when_a_batch_is_retried(shop):
    skus = [make_product().sku for _ in range(50)]
    started = time.monotonic()

    for number in range(BATCHES):
        response = shop.post("/api/v1/events", batch(number, skus), format="json")
        assert response.json() == {"accepted": BATCH_SIZE, "duplicates": 0, "rejected": []}, number
    retried = shop.post("/api/v1/events", batch(123, skus), format="json")

    assert Event.objects.count() == BATCHES * BATCH_SIZE == 100_000
    assert retried.json() == {"accepted": 0, "duplicates": BATCH_SIZE, "rejected": []}
    assert Event.objects.filter(customer_id="").count() == 0  # every session ended with a linking event
    print(f"100,000 events in {time.monotonic() - started:.1f} s")
