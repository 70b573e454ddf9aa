"""Writes of the storefront API: app tokens and shopper events."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import cache

import orjson
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
    token = selectors.token_live(key_hash=_hash(secret))
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
    the unique constraint (``ON CONFLICT DO NOTHING``). Events naming no known product
    (by SKU or slug) are rejected. When an event carries both a session and a
    customer, the session's events without a customer get that customer, in the
    same transaction (the latest such event of a session wins).

    PostgreSQL does all of it in one statement, elsewhere it is done in steps;
    ``tests/storefront/test_events_one_statement.py`` holds the two to the same result and rows.
    """
    if connection.vendor == "postgresql":
        return _events_record_in_one_statement(source=source, events=events)
    return _events_record_in_steps(source=source, events=events)


def _events_record_in_steps(*, source: str, events: list[tuple[int, dict]]) -> EventsRecorded:
    """``events_record`` as lookups, a loop deciding each event, the insert and the attribution (SQLite)."""
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
    with transaction.atomic():
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


def _events_record_in_one_statement(*, source: str, events: list[tuple[int, dict]]) -> EventsRecorded:
    """``events_record`` on PostgreSQL: the lookups, the insert and the attribution in one statement.

    The statement (``_EVENTS_RECORD_SQL``) decides each event as the loop of the SQLite path does, in
    the same order (by ``occurred_at``, then the request's order): an id this source has stored, or an
    earlier event of the batch stored with the same id, is a duplicate; a product named by no SKU or slug
    is rejected; the rest are inserted (``ON CONFLICT DO NOTHING``: a concurrent request's row counts
    as a duplicate), and when an event carries a customer, its session's events without one get it
    (the latest such event of the session wins), new and stored alike. One statement is atomic by itself,
    so no transaction is opened around it: a request is two round trips, the token and this
    (docs/performance.md, fourth pass). It answers how many rows were inserted and which indexes
    were rejected; everything else is a duplicate.
    """
    result = EventsRecorded()
    if not events:
        return result
    ordered = sorted(events, key=lambda item: item[1]["occurred_at"])
    payload = orjson.dumps(ordered, default=_json_value).decode()
    with connection.cursor() as cursor:
        attribute = any(data.get("customer_id") for _, data in events)
        cursor.execute(_events_record_sql(attribute=attribute),
                       {"events": payload, "source": source, "now": timezone.now()})
        inserted, rejected = cursor.fetchone()
    by_index = dict(events)
    for index in rejected:
        reference = by_index[index]["product"]
        message = f"No product has the SKU or slug {reference!r}."
        result.rejected.append(Rejection(index, by_index[index]["id"], "unknown_product", message,
                                         {"product": [message]}))
    result.accepted = inserted
    result.duplicates = len(events) - inserted - len(rejected)
    return result


def _json_value(value):
    """What orjson does not write itself: decimals, as their exact text (PostgreSQL reads ``numeric`` from it)."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@cache
def _events_record_sql(*, attribute: bool) -> str:
    """The statement of ``_events_record_in_one_statement``, with the tables' and columns' names of the models.

    Its parameters: ``events``, the batch as ``[[index, event], ...]`` in ``occurred_at`` order (``jsonb``),
    ``source`` and ``now`` (``received_at``). Only a batch naming a customer (``attribute``) gets the
    attribution's parts: most batches do not, and need not plan an ``UPDATE``. Each lookup is written
    so that it is an index scan whatever the planner estimates: the products one reference at a time,
    by SKU, then by slug (the two arrays' ``= ANY`` of the earlier lookup query were a sequential scan
    of the products, 2,000 rows against 100 references each, most of the database's time for a
    batch), the stored ids one id at a time on the ``(source, client_id)`` unique index. (They were one
    ``client_id = ANY(array)`` scan: with statistics taken before a source's first events, the planner
    kept only ``source`` in the index condition and filtered every stored event of the source, 1.2 s a
    batch at 230,000 events; the bench's quiet run, docs/performance.md.)
    """
    quote = connection.ops.quote_name
    product_model = Event._meta.get_field("product").related_model
    event, product = quote(Event._meta.db_table), quote(product_model._meta.db_table)
    column = {f.attname: quote(f.column) for f in Event._meta.concrete_fields}
    sku, slug, pk = (quote(product_model._meta.get_field(name).column) for name in ("sku", "slug", "id"))
    links = customer = attributed = ""
    if attribute:
        links = """, links AS (
  SELECT DISTINCT ON (session_id) session_id, customer_id FROM new WHERE customer_id <> ''
  ORDER BY session_id, ord DESC
)"""
        customer = "links.customer_id, "
        # Each linked session's events are found on the session_id index (OFFSET 0 keeps the source's condition
        # out of the lateral scan), then updated through the primary key's index (``= ANY`` of their ids): with
        # statistics taken before the source's first events, the planner read every event of the source through
        # the unique index instead (2.2 s a batch at 230,000 events), or scanned the table once per row to update.
        pk = quote(Event._meta.pk.column)
        attributed = f""", found AS (
  SELECT e.{pk} AS event_pk, links.customer_id FROM links,
    LATERAL (SELECT {pk}, {column["source"]} AS source, {column["customer_id"]} AS customer_id FROM {event}
             WHERE {column["session_id"]} = links.session_id OFFSET 0) AS e
  WHERE e.source = %(source)s AND e.customer_id = ''
), attributed AS (
  UPDATE {event} SET {column["customer_id"]} = found.customer_id FROM found
  WHERE {event}.{pk} = ANY(ARRAY(SELECT event_pk FROM found)) AND {event}.{pk} = found.event_pk
)"""
    return f"""
WITH batch AS (
  SELECT e.ord, (e.item->>0)::int AS idx, r.*
  FROM jsonb_array_elements(%(events)s::jsonb) WITH ORDINALITY AS e(item, ord),
       jsonb_to_record(e.item->1) AS r(id text, type text, product text, query text, session_id text,
                                       customer_id text, order_id text, quantity int, price numeric,
                                       occurred_at timestamptz, variant text)
), refs AS (
  SELECT ref.product, coalesce((SELECT p.{pk} FROM {product} p WHERE p.{sku} = ref.product),
                               (SELECT p.{pk} FROM {product} p WHERE p.{slug} = ref.product)) AS product_id
  FROM (SELECT DISTINCT product FROM batch WHERE product IS NOT NULL) AS ref
), stored AS (
  SELECT ids.id FROM (SELECT DISTINCT id FROM batch) AS ids,
    LATERAL (SELECT FROM {event} WHERE {column["source"]} = %(source)s AND {column["client_id"]} = ids.id LIMIT 1) AS e
), known AS (
  SELECT b.*, refs.product_id FROM batch b LEFT JOIN refs USING (product)
  WHERE (b.product IS NULL OR refs.product_id IS NOT NULL) AND NOT EXISTS (SELECT FROM stored s WHERE s.id = b.id)
), new AS (
  SELECT DISTINCT ON (id) * FROM known ORDER BY id, ord
){links}, inserted AS (
  INSERT INTO {event} ({column["source"]}, {column["client_id"]}, {column["type"]}, {column["product_id"]},
    {column["query"]}, {column["session_id"]}, {column["customer_id"]}, {column["order_id"]}, {column["quantity"]},
    {column["price"]}, {column["occurred_at"]}, {column["received_at"]}, {column["experiment_variant"]})
  SELECT %(source)s, n.id, n.type, n.product_id, coalesce(n.query, ''), n.session_id,
         coalesce(nullif(n.customer_id, ''), {customer}''), coalesce(n.order_id, ''), n.quantity, n.price,
         n.occurred_at, %(now)s, coalesce(n.variant, '')
  FROM new n {"LEFT JOIN links USING (session_id)" if attribute else ""} ORDER BY n.ord
  ON CONFLICT DO NOTHING RETURNING 1
){attributed}
SELECT (SELECT count(*) FROM inserted),
       (SELECT coalesce(array_agg(b.idx ORDER BY b.idx), '{{}}') FROM batch b JOIN refs USING (product)
        WHERE refs.product_id IS NULL AND NOT EXISTS (SELECT FROM stored s WHERE s.id = b.id)
          AND NOT EXISTS (SELECT FROM known k WHERE k.id = b.id AND k.ord < b.ord))
"""


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
