"""The catalogue's cached pages: served while nothing changed, stale at once after any change, same bytes as DRF.

Every test reads a page once (filling the cache), changes something through the door a shop
would use, and reads again: the change must show on the very next request.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection  # noqa: F401  (skipif conditions read it)
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from content import services
from content.importers import product_bulk_import
from content.models import DraftStatus, Product
from ecomcms.caching import generation, generation_bump
from storefront import experiments, selectors
from storefront.apis import ProductOutput
from tests.content.factories import make_product, make_user
from tests.storefront.factories import make_draft, make_token, publish

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products"


def texts(response) -> list[str]:
    body = response.json()
    products = body.get("results", [body])
    return [copy["text"] for product in products for copy in product["copy"]]


@pytest.fixture
def mug(db):
    mug = make_product(sku="SKU-MUG", slug="mug", title="Mug", category="kitchen")
    publish(mug, "First description.")
    return mug


def test_a_cached_page_is_served_until_the_catalogue_changes(api, mug):
    first = api.get(PRODUCTS)
    # A write that bypasses every door (and so the generation): the cached page is still served ...
    Product.objects.filter(pk=mug.pk).update(title="Changed behind the cache's back")
    assert api.get(PRODUCTS).content == first.content

    # ... until the generation moves, as every door's write moves it.
    generation_bump("catalog")

    assert api.get(PRODUCTS).json()["results"][0]["title"] == "Changed behind the cache's back"


def test_publishing_shows_the_new_copy_at_once_and_the_superseded_one_never_again(api, mug):
    assert texts(api.get(PRODUCTS)) == ["First description."]
    assert texts(api.get("/api/v1/products/mug")) == ["First description."]

    publish(mug, "Second description.")

    assert texts(api.get(PRODUCTS)) == ["Second description."]
    assert texts(api.get("/api/v1/products/mug")) == ["Second description."]


def test_a_draft_approved_but_not_published_never_enters_a_cached_page(api, mug):
    api.get(PRODUCTS)
    draft = make_draft(mug, text="Approved, not published.")
    services.draft_approve(draft=draft, actor=None)

    assert texts(api.get(PRODUCTS)) == ["First description."]
    assert texts(api.get("/api/v1/products/mug")) == ["First description."]


def test_archiving_a_product_removes_it_from_the_list_and_its_page_at_once(api, mug):
    api.get(PRODUCTS)
    api.get("/api/v1/products/mug")

    mug.is_active = False
    mug.save()  # as the admin does

    assert api.get(PRODUCTS).json()["results"] == []
    assert api.get("/api/v1/products/mug").status_code == 404


def test_deleting_a_product_removes_it_at_once(api, mug):
    plate = make_product(slug="plate")  # no copy: published copy protects a product from deletion
    assert [p["slug"] for p in api.get(PRODUCTS).json()["results"]] == ["mug", "plate"]

    plate.delete()

    assert [p["slug"] for p in api.get(PRODUCTS).json()["results"]] == ["mug"]


def test_editing_a_product_shows_at_once(api, mug):
    api.get("/api/v1/products/mug")
    api.get("/api/v1/categories")

    mug.title, mug.category = "Big mug", "cups"
    mug.save()

    assert api.get("/api/v1/products/mug").json()["title"] == "Big mug"
    assert [c["name"] for c in api.get("/api/v1/categories").json()["results"]] == ["cups"]


def test_a_bulk_import_shows_at_once(api, mug, tmp_path):
    api.get(PRODUCTS)
    path = tmp_path / "products.csv"
    path.write_text("sku,title,price\nSKU-MUG,Imported mug,7.50\nSKU-NEW,New plate,3.00\n")

    result = product_bulk_import(path=path)

    assert result.errors == []
    titles = {p["title"]: p["price"] for p in api.get(PRODUCTS).json()["results"]}
    assert titles == {"Imported mug": "7.50", "New plate": "3.00"}


def test_starting_and_stopping_an_experiment_changes_what_visitors_see_at_once(api, mug):
    editor = make_user("Editors")
    drafts = [make_draft(mug, text=f"Variant {label}.", status=DraftStatus.APPROVED) for label in "AB"]
    assert texts(api.get("/api/v1/products/mug", {"visitor": "v-1"})) == ["First description."]

    experiment = experiments.experiment_start(product=mug, kind="description", drafts=drafts, actor=editor)
    seen = {texts(api.get("/api/v1/products/mug", {"visitor": f"v-{n}"}))[0] for n in range(12)}
    assert seen == {"Variant A.", "Variant B."}
    assert texts(api.get("/api/v1/products/mug")) == ["First description."]  # no visitor: the published copy
    assert texts(api.get(PRODUCTS)) == ["First description."]  # lists always show the published copy

    experiments.experiment_stop(experiment=experiment, actor=editor)

    assert {texts(api.get("/api/v1/products/mug", {"visitor": f"v-{n}"}))[0] for n in range(12)} == {
        "First description."}


def test_a_visitor_keeps_their_variant_on_the_cached_page(api, mug):
    drafts = [make_draft(mug, text=f"Variant {label}.", status=DraftStatus.APPROVED) for label in "ABC"]
    experiment = experiments.experiment_start(product=mug, kind="description", drafts=drafts,
                                              actor=make_user("Editors"))

    answers = [api.get("/api/v1/products/mug", {"visitor": "v-7"}).json()["copy"][0] for _ in range(3)]

    label = "ABC"[experiments.variant_index(experiment.pk, "v-7", 3)]
    assert answers == [answers[0]] * 3
    assert answers[0]["experiment"] == {"id": experiment.pk, "variant": label, "key": f"{experiment.pk}:{label}"}
    assert answers[0]["text"] == f"Variant {label}."


# --- Conditional requests ------------------------------------------------------------------------------

def test_a_cached_page_answers_its_etag_with_a_304_and_a_changed_one_with_a_200(api, mug):
    first = api.get(PRODUCTS)

    not_modified = api.get(PRODUCTS, HTTP_IF_NONE_MATCH=first["ETag"])
    publish(mug, "Second description.")
    changed = api.get(PRODUCTS, HTTP_IF_NONE_MATCH=first["ETag"])

    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == first["ETag"]
    assert not_modified["Cache-Control"] == "public, max-age=60"
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert texts(changed) == ["Second description."]


def test_a_product_answers_if_modified_since_its_last_change_with_a_304(api, mug):
    first = api.get("/api/v1/products/mug")

    again = api.get("/api/v1/products/mug", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert again.status_code == 304


# --- The fast path writes what the serializers describe -------------------------------------------------

def drf_body(product: Product) -> dict:
    product = selectors.catalog_products().get(pk=product.pk)
    return json.loads(JSONRenderer().render(ProductOutput(product).data))


@pytest.mark.parametrize("cache_seconds", [0, 300])
def test_the_catalogue_writes_exactly_what_the_product_serializer_would(api, settings, cache_seconds):
    settings.API_CATALOG_CACHE_SECONDS = cache_seconds
    odd = make_product(slug="odd", price=None, stock=0, attributes={"size": 42, "tags": ["a", "b"], "é": None},
                       image_urls=["https://cdn.example/1.jpg"], title="Ünïcode \u2028 title")
    publish(odd, "Headline", kind="ad_headline", variant=2)
    publish(odd, "A description with \"quotes\" and <b>tags</b>.")
    plain = make_product(slug="plain", price=Decimal(5))

    listed = api.get(PRODUCTS).json()["results"]

    assert listed == [drf_body(odd), drf_body(plain)]
    assert api.get("/api/v1/products/odd").json() == drf_body(odd)


def test_the_catalogue_writes_times_in_the_current_time_zone_as_drf_does(api, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    product = make_product(slug="berlin")
    publish(product, "Text.")

    body = api.get("/api/v1/products/berlin").json()

    assert body == drf_body(product)
    assert body["updated_at"].endswith(("+01:00", "+02:00"))


# --- The generation --------------------------------------------------------------------------------------

def test_a_generation_starts_at_zero_and_each_bump_adds_one():
    assert generation("catalog-test") == 0

    generation_bump("catalog-test")
    generation_bump("catalog-test")

    assert generation("catalog-test") == 2


def test_every_publication_bumps_the_catalogue_generation(mug):
    before = generation("catalog")

    publish(mug, "Second description.")

    assert generation("catalog") > before


def test_the_order_import_of_new_products_bumps_the_catalogue_generation(db):
    from recommender.online_retail import Line
    from recommender.services.importing import _products_for_lines

    before = generation("catalog")
    line = Line(line=2, invoice="536365", sku="85123A", description="WHITE HANGING HEART", quantity=6,
                occurred_at=timezone.now(), price=Decimal("2.55"), customer="17850")

    _products_for_lines([line])

    assert generation("catalog") > before


# --- Stored answers served before DRF's request handling (ecomcms.api.http.CatalogView) ------------

STORED_PATHS = [PRODUCTS, f"{PRODUCTS}?category=kitchen&page_size=5", f"{PRODUCTS}/mug", "/api/v1/categories"]


def _headers(response) -> dict:
    return {name: value for name, value in response.items() if name != "X-Request-ID"}


@pytest.mark.parametrize("path", STORED_PATHS)
def test_a_stored_answer_skips_drfs_request_handling_with_the_same_bytes_and_headers(api, mug, path, monkeypatch):
    whole = api.get(path, HTTP_ACCEPT="application/json, text/plain")  # another Accept: the whole path, and stored
    whole_again = api.get(path, HTTP_ACCEPT="application/json, text/plain")

    def refuse(*args, **kwargs):
        raise AssertionError("DRF's request handling ran for a stored answer")

    monkeypatch.setattr(APIView, "initial", refuse)
    stored = api.get(path)

    assert whole.status_code == whole_again.status_code == stored.status_code == 200
    assert stored.content == whole_again.content == whole.content
    assert _headers(stored) == _headers(whole_again) == _headers(whole)
    assert stored["Allow"] == "GET, HEAD, OPTIONS" and stored["Cache-Control"].startswith("public, max-age=")
    assert api.get(path, HTTP_IF_NONE_MATCH=stored["ETag"]).status_code == 304


def test_a_token_a_visitor_or_another_accept_takes_the_whole_path(api, mug, monkeypatch):
    token = make_token("events:write")  # no catalog:read: the whole path refuses it
    api.get(f"{PRODUCTS}/mug")
    whole, initial = [], APIView.initial

    def counted(self, request, *args, **kwargs):
        whole.append(request.path)
        return initial(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initial", counted)

    assert api.get(f"{PRODUCTS}/mug", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403
    assert api.get(f"{PRODUCTS}/mug", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert api.get(f"{PRODUCTS}/mug", HTTP_ACCEPT="text/html").status_code == 406
    assert api.get(f"{PRODUCTS}/mug", {"visitor": "v-1"}).status_code == 200
    assert len(whole) == 4
    assert api.get(f"{PRODUCTS}/mug").status_code == 200
    assert len(whole) == 4  # the stored answer


def test_stored_answers_still_count_against_the_anonymous_rate(api, mug, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "token": "1000/min"}}

    statuses = [api.get(f"{PRODUCTS}/mug").status_code for _ in range(4)]
    throttled = api.get(f"{PRODUCTS}/mug")

    assert statuses == [200, 200, 200, 429]
    assert throttled.status_code == 429 and 0 < int(throttled["Retry-After"]) <= 60
    assert api.get(f"{PRODUCTS}/mug", REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="health checks are on for PostgreSQL only")
def test_the_generation_read_is_the_requests_health_check(api, mug, monkeypatch):

    api.get(f"{PRODUCTS}/mug")
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    connection.health_check_done = False  # a new request (the test client skips Django's request_started hooks)

    assert api.get(f"{PRODUCTS}/mug").status_code == 200
    assert checks == []  # no separate SELECT 1


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="health checks are on for PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_a_dead_kept_connection_is_replaced_by_the_generation_read():
    from django.db import connection

    generation_bump("catalog")
    connection.connection.close()  # the kept connection dies (as when the database restarts)
    connection.health_check_done = False  # a new request

    assert generation("catalog") == 1  # read again on a new connection
