"""Demo shopper events over the demo catalogue, and a trained, active recommender version.

Called by ``manage.py load_demo`` after the catalogue is loaded. The events are
synthetic but shaped like a shop's: customers with a taste (apparel, outdoor,
kitchen, audio) buy from it on repeat visits, view before they buy, and anonymous
sessions browse. They are generated with a fixed seed and stored once
(``source="demo"``, fixed client ids), so running the demo again adds nothing;
a version is trained only while none is active.
"""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from content.models import Product
from recommender import services
from recommender.models import Event, EventType, ModelVersion

SOURCE = "demo"
SEED = 20240601
CUSTOMERS = 40
ANONYMOUS_SESSIONS = 30
DAYS = 90
# Tastes by category; a customer mostly buys within one, now and then from another.
TASTES = [
    ("t-shirts", "shirts", "knitwear", "jackets", "accessories"),
    ("outdoor", "jackets", "shoes", "bags"),
    ("kitchen", "accessories", "bags"),
    ("audio", "accessories", "bags"),
]


def load_demo_events(stdout) -> ModelVersion | None:
    """Store the demo events (once) and train and activate a version if none is active."""
    skus = [row["sku"] for row in json.loads((Path(settings.BASE_DIR) / "demo" / "products.json").read_text())]
    products = list(Product.objects.filter(sku__in=skus).order_by("sku"))
    if len(products) < 4:
        stdout.write("demo events: skipped, the demo catalogue is not loaded")
        return None
    events = demo_events(products, now=timezone.now())
    before = Event.objects.filter(source=SOURCE).count()
    with transaction.atomic():
        Event.objects.bulk_create(events, ignore_conflicts=True)
    added = Event.objects.filter(source=SOURCE).count() - before
    stdout.write(f"demo events: {added} added ({len(events)} in the demo: {CUSTOMERS} customers, "
                 f"{ANONYMOUS_SESSIONS} anonymous sessions)")
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is not None:
        stdout.write(f"demo recommender: version #{active.pk} is already active")
        return active
    started = time.perf_counter()
    # The embedding model takes longer to load than the whole demo; the nightly training adds content similarity.
    version = services.model_train(embeddings="off", holdout_days=30, activate=True, trigger="demo",
                                   notes="demo: trained by load_demo without content embeddings")
    stdout.write(f"demo recommender: version #{version.pk} trained in {time.perf_counter() - started:.1f} s "
                 f"and active (offline metrics in the admin under Recommender > Model versions)")
    return version


def demo_events(products: list[Product], *, now) -> list[Event]:
    """The demo's events, the same every time for the same products (only the dates move with ``now``)."""
    rng = random.Random(SEED)
    by_category: dict[str, list[Product]] = {}
    for product in products:
        by_category.setdefault(product.category, []).append(product)
    tastes = [[p for category in taste for p in by_category.get(category, [])] for taste in TASTES]
    tastes = [taste for taste in tastes if len(taste) >= 2] or [products]
    events: list[Event] = []

    def add(kind: str, product: Product, when, *, session: str, customer: str = "", order: str = "") -> None:
        events.append(
            Event(
                source=SOURCE,
                client_id=f"demo-{len(events) + 1}",
                type=kind,
                product=product,
                session_id=session,
                customer_id=customer,
                order_id=order,
                quantity=1,
                price=product.price if kind == EventType.PURCHASE else None,
                occurred_at=when,
            )
        )

    for c in range(1, CUSTOMERS + 1):
        customer = f"demo-customer-{c:02d}"
        taste = tastes[(c - 1) % len(tastes)]
        # Favourites: what this customer comes back for.
        favourites = rng.sample(taste, k=min(len(taste), rng.randint(2, 3)))
        for visit in range(rng.randint(3, 6)):
            when = now - timedelta(days=rng.uniform(0, DAYS), minutes=rng.randint(0, 600))
            session = f"demo-session-{c:02d}-{visit}"
            pool = taste if rng.random() < 0.85 else products
            basket = set(rng.sample(favourites, k=1) + rng.sample(pool, k=min(len(pool), rng.randint(0, 2))))
            for product in rng.sample(pool, k=min(len(pool), rng.randint(1, 3))):
                add(EventType.VIEW, product, when - timedelta(minutes=rng.randint(5, 30)), session=session,
                    customer=customer)
            for product in sorted(basket, key=lambda p: p.sku):
                add(EventType.ADD_TO_CART, product, when - timedelta(minutes=2), session=session, customer=customer)
                add(EventType.PURCHASE, product, when, session=session, customer=customer,
                    order=f"demo-order-{c:02d}-{visit}")
    for s in range(1, ANONYMOUS_SESSIONS + 1):
        taste = rng.choice(tastes)
        when = now - timedelta(days=rng.uniform(0, 14))
        for step, product in enumerate(rng.sample(taste, k=min(len(taste), rng.randint(2, 4)))):
            add(EventType.VIEW, product, when + timedelta(minutes=step), session=f"demo-visitor-{s:02d}")
    return events
