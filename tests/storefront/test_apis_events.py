"""Event ingestion: batches, idempotent retries, partial failure, customer attribution, scopes."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommender.models import Event
from storefront.models import StorefrontToken
from tests.content.factories import make_product
from tests.storefront.factories import make_token

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events"
AT = "2026-05-01T10:00:00Z"


def event(n, **fields) -> dict:
    return {"id": f"e-{n}", "type": "view", "product": "SKU-MUG", "session_id": "s-1", "occurred_at": AT} | fields


def post(client, events):
    return client.post(EVENTS, {"events": events}, format="json")


@pytest.fixture
def mug(db):
    return make_product(sku="SKU-MUG", slug="mug")


def test_a_batch_is_stored_with_products_found_by_sku_or_slug(shop, mug, token):
    response = post(shop, [
        event(1),
        event(2, type="purchase", product="mug", customer_id="c-1", order_id="o-1", quantity=2, price="9.50"),
        {"id": "e-3", "type": "search", "query": "blue mug", "session_id": "s-2", "occurred_at": AT},
    ])

    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    source = f"token:{StorefrontToken.objects.get().pk}"
    rows = {e.client_id: e for e in Event.objects.all()}
    assert {e.source for e in rows.values()} == {source}
    assert (rows["e-1"].product, rows["e-1"].type, rows["e-1"].quantity) == (mug, "view", 1)
    purchase = rows["e-2"]
    assert (purchase.product, purchase.order_id, purchase.quantity, purchase.price) == (mug, "o-1", 2, Decimal("9.50"))
    assert (rows["e-3"].product, rows["e-3"].query) == (None, "blue mug")


def test_a_retried_batch_adds_nothing_and_says_so(shop, mug):
    batch = [event(n) for n in range(5)]
    post(shop, batch)

    response = post(shop, batch)

    assert response.json() == {"accepted": 0, "duplicates": 5, "rejected": []}
    assert Event.objects.count() == 5


def test_an_id_repeated_within_a_batch_is_stored_once(shop, mug):
    response = post(shop, [event(1), event(1, type="add_to_cart")])

    assert response.json() == {"accepted": 1, "duplicates": 1, "rejected": []}
    assert Event.objects.get().type == "view"


def test_the_same_id_from_two_tokens_is_two_events(api, mug):
    for secret in (make_token("events:write", name="shop a"), make_token("events:write", name="shop b")):
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert post(api, [event(1)]).json()["accepted"] == 1

    assert Event.objects.count() == 2


def test_valid_events_are_stored_and_the_others_reported_by_index_and_reason(shop, mug):
    response = post(shop, [
        event(0),
        event(1, type="wishlist"),
        event(2, product="SKU-NOPE"),
        "not an object",
        event(4, price="1.999", quantity=1.5),
        event(5, product=None),
        {"type": "view"},
        event(7),
    ])

    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert [(r["index"], r["id"], r["code"]) for r in body["rejected"]] == [
        (1, "e-1", "validation_error"), (2, "e-2", "unknown_product"), (3, None, "validation_error"),
        (4, "e-4", "validation_error"), (5, "e-5", "validation_error"), (6, None, "validation_error"),
    ]
    by_index = {r["index"]: r for r in body["rejected"]}
    assert by_index[1]["fields"] == {"type": ['"wishlist" is not a valid choice.']}
    assert by_index[2]["message"] == "No product has the SKU or slug 'SKU-NOPE'."
    assert by_index[2]["fields"] == {"product": ["No product has the SKU or slug 'SKU-NOPE'."]}
    assert set(by_index[4]["fields"]) == {"price", "quantity"}
    assert set(by_index[6]["fields"]) == {"id", "session_id", "occurred_at"}
    assert sorted(Event.objects.values_list("client_id", flat=True)) == ["e-0", "e-7"]


@pytest.mark.parametrize("fields, reason", [
    ({"type": "search", "product": None}, {"query": ["Required for search events."]}),
    ({"type": "add_to_cart", "product": None}, {"product": ["Required for add_to_cart events."]}),
    ({"occurred_at": "2999-01-01T00:00:00Z"}, {"occurred_at": ["More than a day in the future."]}),
    ({"id": 17}, {"id": ["Not a valid string."]}),
    ({"id": "x" * 101}, {"id": ["Ensure this field has no more than 100 characters."]}),
    ({"session_id": "\ud800"}, {"session_id": ["Not valid Unicode text."]}),  # a lone surrogate, as JSON allows
    ({"session_id": "a\x00b"}, {"session_id": ["Null characters are not allowed."]}),
    ({"quantity": 10**30}, {"quantity": ["Ensure this value is less than or equal to 1000000."]}),
    ({"quantity": 0}, {"quantity": ["Must be positive (negative only on a purchase: a return)."]}),
    ({"quantity": -1}, {"quantity": ["Must be positive (negative only on a purchase: a return)."]}),
])
def test_each_bad_event_says_what_is_wrong(shop, mug, fields, reason):
    data = {k: v for k, v in (event(1) | fields).items() if v is not None}

    response = shop.post(EVENTS, json.dumps({"events": [data]}), content_type="application/json")

    [rejected] = response.json()["rejected"]

    assert rejected["fields"] == reason
    assert Event.objects.count() == 0


def test_a_purchase_with_a_negative_quantity_is_a_return(shop, mug):
    response = post(shop, [event(1, type="purchase", quantity=-2, order_id="o-1")])

    assert response.json()["accepted"] == 1
    assert Event.objects.get().quantity == -2


def test_a_session_is_attributed_to_the_customer_once_an_event_links_them(shop, mug, api):
    post(shop, [event(1, session_id="s-1"), event(2, session_id="s-1"), event(3, session_id="s-other")])

    post(shop, [event(4, session_id="s-1"), event(5, session_id="s-1", customer_id="c-42", type="purchase")])

    customers = dict(Event.objects.values_list("client_id", "customer_id"))
    assert customers == {"e-1": "c-42", "e-2": "c-42", "e-3": "", "e-4": "c-42", "e-5": "c-42"}


def test_attribution_stays_within_the_token_that_sent_the_session(shop, mug, api):
    other = make_token("events:write", name="other shop")
    post(shop, [event(1, session_id="s-1")])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other}")

    post(api, [event(2, session_id="s-1", customer_id="c-7")])

    assert dict(Event.objects.values_list("client_id", "customer_id")) == {"e-1": "", "e-2": "c-7"}


def test_an_event_already_linked_to_a_customer_keeps_it(shop, mug):
    post(shop, [event(1, customer_id="c-1")])

    post(shop, [event(2, customer_id="c-2")])

    assert dict(Event.objects.values_list("client_id", "customer_id")) == {"e-1": "c-1", "e-2": "c-2"}


@pytest.mark.parametrize("body, field", [
    ({"events": []}, "events"),
    ({"events": [event(n) for n in range(501)]}, "events"),
    ({"events": "all of them"}, "events"),
    ({}, "events"),
    ([event(1)], "non_field_errors"),
])
def test_a_batch_that_is_not_a_list_of_1_to_500_events_is_refused_whole(shop, mug, body, field):
    response = shop.post(EVENTS, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert Event.objects.count() == 0


def test_events_need_a_token(api):
    response = post(api, [event(1)])

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_events_need_the_events_scope(api, mug):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('catalog:read')}")

    response = post(api, [event(1)])

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert Event.objects.count() == 0


def test_a_revoked_token_is_refused(api, mug):
    from storefront.services import token_revoke

    secret = make_token("events:write")
    token_revoke(token=StorefrontToken.objects.get())
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert post(api, [event(1)]).status_code == 401


def test_a_body_over_the_limit_is_refused_before_it_is_read(shop, mug, settings):
    settings.API_MAX_BODY_BYTES = 2048

    response = post(shop, [event(n, query="x" * 100) for n in range(30)])

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert Event.objects.count() == 0


@pytest.mark.parametrize("size", [10, 500])
def test_a_batch_takes_the_same_queries_whatever_its_size(shop, mug, size):
    shop.get("/api/v1/categories")  # the token's last use is recorded once a minute: not in the count below

    with CaptureQueriesContext(connection) as queries:
        response = post(shop, [event(n, customer_id="c-1", session_id=f"s-{n}") for n in range(size)])

    assert response.json()["accepted"] == size
    statements = ["INSERT" if "INSERT INTO" in q["sql"] else q["sql"].split()[0] for q in queries]
    if connection.vendor == "postgresql":  # the token; the lookups, the insert and the attribution in one statement
        assert statements == ["SELECT", "INSERT"]
        assert "UPDATE" in queries[1]["sql"]
    else:  # the token, the ids already stored, the products; the insert (executemany) and the attribution in one
        assert statements == ["SELECT", "SELECT", "SELECT", "SAVEPOINT", "INSERT", "UPDATE", "RELEASE"]


@pytest.mark.parametrize("size", [10, 500])
def test_a_batch_without_customers_is_one_statement_on_postgresql(shop, mug, size):
    shop.get("/api/v1/categories")

    with CaptureQueriesContext(connection) as queries:
        response = post(shop, [event(n, session_id=f"s-{n}") for n in range(size)])

    assert response.json()["accepted"] == size
    assert Event.objects.filter(source__startswith="token:").count() == size
    statements = ["INSERT" if "INSERT INTO" in q["sql"] else q["sql"].split()[0] for q in queries]
    if connection.vendor == "postgresql":  # the token; the lookups and the insert in one statement, atomic by itself
        assert statements == ["SELECT", "INSERT"]
        assert "UPDATE" not in queries[1]["sql"]
    else:  # executemany in a transaction
        assert statements == ["SELECT", "SELECT", "SELECT", "SAVEPOINT", "INSERT", "RELEASE"]


@pytest.mark.parametrize("price", ["1e3", "1E3", "Infinity", "1_000"])
def test_a_price_in_exponent_or_other_non_decimal_notation_is_refused(shop, mug, price):
    response = post(shop, [event(0, type="purchase", customer_id="c-1", order_id="o-1", quantity=1, price=price),
                           event(1, type="purchase", customer_id="c-1", order_id="o-1", quantity=1, price="1000.00")])

    body = response.json()
    assert response.status_code == 200
    assert [(r["index"], r["fields"]) for r in body["rejected"]] == [
        (0, {"price": ["Enter a decimal number with a dot, such as 19.90 (no exponent)."]})]
    assert list(Event.objects.values_list("client_id", "price")) == [("e-1", Decimal("1000.00"))]


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="health checks are on for PostgreSQL only")
def test_the_token_read_is_the_requests_health_check(shop, mug, monkeypatch):
    post(shop, [event(0)])
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    connection.health_check_done = False  # a new request (the test client skips Django's request_started hooks)

    assert post(shop, [event(1)]).json()["accepted"] == 1
    assert checks == []  # no separate SELECT 1


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="health checks are on for PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_a_dead_kept_connection_is_replaced_by_the_token_read():
    from ecomcms.api.auth import TokenAuthentication

    secret = make_token("events:write")
    connection.ensure_connection()
    connection.connection.close()  # the kept connection dies (as when the database restarts)
    connection.health_check_done = False  # a new request

    class Request:
        headers = {"Authorization": f"Bearer {secret}"}

    _, token = TokenAuthentication().authenticate(Request())
    assert token.name
