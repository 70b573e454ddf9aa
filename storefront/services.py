"""Writes of the storefront API: app tokens and shopper events."""

from __future__ import annotations

import hashlib
import secrets
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, models, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from ecomcms.sql import insert_new
from recommender.models import Event
from storefront import selectors
from storefront.models import Scope, StorefrontToken

TOKEN_PREFIX = "sf_"
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write per token per minute


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, name: str, scopes: list[str], created_by=None) -> tuple[StorefrontToken, str]:
    """Create a token and return it with its secret, which is stored only as a SHA-256 hash."""
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(sorted(unknown))}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = StorefrontToken.objects.create(
        name=name, prefix=secret[:12], key_hash=_hash(secret), scopes=sorted(set(scopes)), created_by=created_by,
    )
    return token, secret


def token_revoke(*, token: StorefrontToken) -> bool:
    """Revoke a token for good; returns False if it already was."""
    return bool(StorefrontToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()))


def token_authenticate(*, secret: str) -> StorefrontToken | None:
    """The live token with this secret, or None. Records when it was last used, to the minute."""
    token = StorefrontToken.objects.filter(key_hash=_hash(secret), revoked_at__isnull=True).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        StorefrontToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


# --- Events -----------------------------------------------------------------------------------

@dataclass
class Rejection:
    index: int
    id: str | None
    code: str
    message: str
    fields: dict = field(default_factory=dict)


@dataclass
class EventsRecorded:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def events_record(*, source: str, events: list[tuple[int, dict]]) -> EventsRecorded:
    """Store a batch of validated events, each ``(index in the request, data)``, once per ``(source, id)``.

    An id already stored for this source, or repeated in the batch, counts as a
    duplicate, so a retried batch adds nothing; a concurrent retry is absorbed by
    the unique constraint (``ignore_conflicts``). Events naming no known product
    (by SKU or slug) are rejected. When an event carries both a session and a
    customer, the session's events without a customer get that customer, in one
    UPDATE for the whole batch (the latest such event of a session wins).
    """
    result = EventsRecorded()
    products, stored = selectors.events_batch_lookup(
        source=source, client_ids=[data["id"] for _, data in events],
        references={data["product"] for _, data in events if data.get("product")})
    rows, links = [], {}
    for index, data in sorted(events, key=lambda item: item[1]["occurred_at"]):
        if data["id"] in stored:
            result.duplicates += 1
            continue
        product_id = products.get(data.get("product"))
        if data.get("product") and product_id is None:
            message = f"No product has the SKU or slug {data['product']!r}."
            result.rejected.append(Rejection(index, data["id"], "unknown_product", message, {"product": [message]}))
            continue
        stored.add(data["id"])
        rows.append({  # Event's columns by attribute name (a model instance each cost as much as the insert)
            "source": source, "client_id": data["id"], "type": data["type"], "product_id": product_id,
            "query": data.get("query", ""), "session_id": data["session_id"],
            "customer_id": data.get("customer_id", ""), "order_id": data.get("order_id", ""),
            "quantity": data["quantity"], "price": data.get("price"), "occurred_at": data["occurred_at"],
            "experiment_variant": data.get("variant", ""),
        })
        if data.get("customer_id"):
            links[data["session_id"]] = data["customer_id"]
    # On PostgreSQL the insert is one statement, atomic without a transaction around it (BEGIN and COMMIT
    # were two of an ingestion request's round trips); the attribution to customers joins it in one.
    one_statement = connection.vendor == "postgresql" and not links
    with nullcontext() if one_statement else transaction.atomic():
        inserted = _events_insert_new(rows)
        if links:
            customers = [When(session_id=session, then=Value(customer)) for session, customer in links.items()]
            Event.objects.filter(source=source, customer_id="", session_id__in=list(links)).update(
                customer_id=Case(*customers)
            )
    result.accepted = inserted
    # A concurrent request stored the others first (the same batch retried at once): duplicates, as for a retry.
    result.duplicates += len(rows) - inserted
    result.rejected.sort(key=lambda rejection: rejection.index)
    return result


def _events_insert_new(rows: list[dict]) -> int:
    """Insert the rows whose ``(source, client_id)`` is not stored yet; how many were really inserted.

    ``INSERT ... ON CONFLICT DO NOTHING`` (``ecomcms.sql.insert_new``): a row a concurrent request
    inserted first is not counted, so the count is true under concurrency.
    ``bulk_create(ignore_conflicts=True)`` cannot say how many it skipped. The statement is written
    there rather than by the ORM's insert compiler, which prepared each value of each row through
    its field and was a quarter of an ingestion request (docs/performance.md); only dates and
    decimals need the database's adaptation, each distinct value once a batch.
    """
    if not rows:
        return 0
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    now = timezone.now()
    adapt = []
    for model_field in fields:
        if isinstance(model_field, models.DateTimeField):
            adapt.append(_memo(ops.adapt_datetimefield_value))
        elif isinstance(model_field, models.DecimalField):
            adapt.append(_memo(
                lambda value, f=model_field: ops.adapt_decimalfield_value(value, f.max_digits, f.decimal_places)
            ))
        else:  # text, integers and the product's id go to the driver as they are
            adapt.append(None)
    columns = [(f.attname, f.get_default() if f.attname != "received_at" else now, convert)  # auto_now_add
               for f, convert in zip(fields, adapt)]
    values = [[row.get(name, default) if convert is None else convert(row.get(name, default))
               for name, default, convert in columns] for row in rows]
    return insert_new(Event, fields, values)


def _memo(convert):
    known: dict = {}

    def converted(value):
        if value is None:
            return None
        if value not in known:
            known[value] = convert(value)
        return known[value]

    return converted
