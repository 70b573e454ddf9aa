"""The public catalog: products, one product, categories; filters, cursor pages, caching, query counts."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from django.utils.http import http_date

from content.models import Product
from tests.content.factories import make_product
from tests.storefront.factories import make_draft, make_token, publish

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products"


def slugs(response) -> list[str]:
    return [p["slug"] for p in response.json()["results"]]


def cursor_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["cursor"][0]


# --- Products --------------------------------------------------------------------------------

def test_the_list_shows_active_products_with_their_current_published_copy_only(api):
    shirt = make_product(slug="shirt", title="Shirt")
    publish(shirt, "The old description.")
    publish(shirt, "The new description.")
    publish(shirt, "Short and blue.", kind="ad_headline", variant=2)
    make_draft(shirt, text="An unpublished draft.", kind="seo_title")
    make_product(slug="archived", is_active=False)

    response = api.get(PRODUCTS)

    assert response.status_code == 200
    [product] = response.json()["results"]
    assert product["slug"] == "shirt"
    assert [(c["kind"], c["variant"], c["text"]) for c in product["copy"]] == [
        ("ad_headline", 2, "Short and blue."), ("description", 1, "The new description."),
    ]
    assert product["price"] == "19.90"
    assert product["in_stock"] is True
    assert response.json()["next"] is None and response.json()["previous"] is None


def test_pages_follow_the_cursor_in_slug_order_without_gaps_or_repeats(api):
    for slug in ["e", "b", "d", "a", "c"]:
        make_product(slug=slug)

    first = api.get(PRODUCTS, {"page_size": 2})
    second = api.get(PRODUCTS, {"page_size": 2, "cursor": cursor_of(first.json()["next"])})
    third = api.get(PRODUCTS, {"page_size": 2, "cursor": cursor_of(second.json()["next"])})
    back = api.get(PRODUCTS, {"page_size": 2, "cursor": cursor_of(third.json()["previous"])})

    assert [slugs(first), slugs(second), slugs(third)] == [["a", "b"], ["c", "d"], ["e"]]
    assert third.json()["next"] is None
    assert slugs(back) == ["c", "d"]


@pytest.mark.parametrize("page_size", ["0", "101", "ten"])
def test_a_page_size_outside_1_to_100_is_refused_with_the_reason(api, page_size):
    response = api.get(PRODUCTS, {"page_size": page_size})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["page_size"]
    assert error["message"].startswith("Invalid input. page_size: ")


@pytest.mark.parametrize("cursor", ["not-a-cursor", "cD0lMDA=", "cD1hJTAw"])  # garbage, p=<NUL>, p=a<NUL>
def test_a_cursor_this_api_did_not_hand_out_is_a_400(api, cursor):
    make_product()

    response = api.get(PRODUCTS, {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("query, expected", [
    ({"category": "shoes"}, ["runner", "sandal"]),
    ({"brand": "Zeta"}, ["sandal"]),
    ({"price_min": "20", "price_max": "50"}, ["runner", "tee"]),
    ({"price_min": "50.01"}, ["sandal"]),
    ({"in_stock": "true"}, ["runner", "tee"]),
    ({"in_stock": "false"}, ["sandal"]),
    ({"search": "RUN shoes"}, ["runner"]),
    ({"search": "sku-tee"}, ["tee"]),
    ({"search": ""}, ["runner", "sandal", "tee"]),
    ({"category": "shoes", "in_stock": "true"}, ["runner"]),
])
def test_filters_combine(api, query, expected):
    make_product(slug="runner", sku="SKU-RUNNER", title="Trail runner", category="shoes", price=Decimal("50"), stock=3)
    make_product(slug="sandal", sku="SKU-SANDAL", title="Sandal", category="shoes", brand="Zeta", price=Decimal("80"),
                 stock=0)
    make_product(slug="tee", sku="SKU-TEE", title="Tee", category="shirts", price=Decimal("20.00"), stock=1)

    assert sorted(slugs(api.get(PRODUCTS, query))) == sorted(expected)


def test_updated_since_lists_products_changed_at_or_after_that_time(api):
    old = make_product(slug="old")
    Product.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    make_product(slug="new")

    response = api.get(PRODUCTS, {"updated_since": (timezone.now() - timedelta(days=1)).isoformat()})

    assert slugs(response) == ["new"]


def test_a_price_range_upside_down_is_refused(api):
    response = api.get(PRODUCTS, {"price_min": "10", "price_max": "5"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"price_max": ["Must not be below price_min."]}


def test_one_product_by_slug_with_its_published_copy(api):
    product = make_product(slug="mug", title="Mug")
    publish(product, "A mug.")
    make_draft(product, text="Not yet.", kind="social_post")

    response = api.get("/api/v1/products/mug")

    assert response.status_code == 200
    assert response.json()["title"] == "Mug"
    assert [c["text"] for c in response.json()["copy"]] == ["A mug."]


@pytest.mark.parametrize("slug", ["archived", "missing"])
def test_an_archived_or_unknown_product_is_a_json_404(api, slug):
    make_product(slug="archived", is_active=False)

    response = api.get(f"/api/v1/products/{slug}")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "No active product has this slug."}}


def test_categories_count_active_products_by_name(api):
    make_product(category="shoes")
    make_product(category="shoes")
    make_product(category="bags")
    make_product(category="hats", is_active=False)
    make_product(category="")

    response = api.get("/api/v1/categories")

    assert response.json() == {"results": [{"name": "bags", "products": 1}, {"name": "shoes", "products": 2}]}


# --- Conditional requests and caching ---------------------------------------------------------

def test_catalog_reads_carry_validators_and_cache_control(api, settings):
    settings.API_CACHE_MAX_AGE = 300
    product = make_product(slug="mug")

    response = api.get("/api/v1/products/mug")

    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34
    product.refresh_from_db()
    assert response["Last-Modified"] == http_date(product.updated_at.timestamp())


@pytest.mark.parametrize("path", [PRODUCTS, "/api/v1/products/mug", "/api/v1/categories"])
def test_a_matching_etag_gets_a_304_without_a_body(api, path):
    make_product(slug="mug")
    etag = api.get(path)["ETag"]

    response = api.get(path, HTTP_IF_NONE_MATCH=f'"other", W/{etag}')

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"].startswith("public")


def test_publishing_new_copy_changes_the_etag_and_last_modified(api):
    product = make_product(slug="mug")
    first = api.get("/api/v1/products/mug")

    publish(product, "Now with copy.")
    response = api.get("/api/v1/products/mug", HTTP_IF_NONE_MATCH=first["ETag"])

    assert response.status_code == 200
    assert response["ETag"] != first["ETag"]
    assert response["Last-Modified"] >= first["Last-Modified"]


def test_if_modified_since_answers_304_when_nothing_shown_changed_since(api):
    make_product(slug="mug")
    last_modified = api.get("/api/v1/products/mug")["Last-Modified"]

    unchanged = api.get("/api/v1/products/mug", HTTP_IF_MODIFIED_SINCE=last_modified)
    older = api.get("/api/v1/products/mug", HTTP_IF_MODIFIED_SINCE=http_date(0))

    assert (unchanged.status_code, older.status_code) == (304, 200)


def test_errors_are_not_marked_cacheable(api):
    response = api.get("/api/v1/products/missing")

    assert response.status_code == 404
    assert "ETag" not in response and "Cache-Control" not in response


# --- Tokens on the catalog ---------------------------------------------------------------------

def test_the_catalog_needs_no_token_but_takes_one_with_the_catalog_scope(api):
    make_product()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('catalog:read')}")

    assert api.get(PRODUCTS).status_code == 200


def test_a_token_without_the_catalog_scope_is_refused_on_the_catalog(api):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('events:write')}")

    response = api.get(PRODUCTS)

    assert response.status_code == 403
    assert response.json()["error"] == {"code": "insufficient_scope",
                                        "message": "This token lacks the `catalog:read` scope."}


@pytest.mark.parametrize("header", ["Bearer sf_unknown", "Bearer", "Bearer two parts"])
def test_a_bad_token_is_a_401_even_where_none_is_needed(api, header):
    response = api.get(PRODUCTS, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"]["code"] == "authentication_failed"


# --- Query counts -----------------------------------------------------------------------------

@pytest.mark.parametrize("page_size", [5, 50])
def test_a_product_page_takes_three_queries_whatever_its_size_and_one_once_cached(api, django_assert_num_queries,
                                                                                   page_size):
    for _ in range(60):
        product = make_product()
        publish(product, "A description.")
        publish(product, "A headline.", kind="ad_headline")

    with django_assert_num_queries(3):  # the catalogue generation, the page, the current copy of its products
        response = api.get(PRODUCTS, {"page_size": page_size})
    with django_assert_num_queries(1):  # the generation: unchanged, so the stored page is served
        again = api.get(PRODUCTS, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size
    assert again.content == response.content


@pytest.mark.parametrize("page_size", [5, 50])
def test_without_the_cache_a_product_page_takes_two_queries(api, django_assert_num_queries, settings, page_size):
    settings.API_CATALOG_CACHE_SECONDS = 0
    for _ in range(60):
        publish(make_product(), "A description.")

    for _ in range(2):
        with django_assert_num_queries(2):  # the page, the current copy of its products
            response = api.get(PRODUCTS, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("count", [1, 30])
def test_the_categories_take_two_queries_whatever_their_number_and_one_once_cached(api, django_assert_num_queries,
                                                                                   count):
    for n in range(count):
        make_product(category=f"category-{n}")

    with django_assert_num_queries(2):  # the generation, the categories
        response = api.get("/api/v1/categories")
    with django_assert_num_queries(1):
        api.get("/api/v1/categories")

    assert len(response.json()["results"]) == count


def test_one_product_takes_four_queries_and_one_once_cached(api, django_assert_num_queries):
    product = make_product(slug="mug")
    publish(product, "A mug.")

    with django_assert_num_queries(4):  # the generation, the product, its copy, its running experiments
        api.get("/api/v1/products/mug")
    with django_assert_num_queries(1):
        api.get("/api/v1/products/mug")
    with django_assert_num_queries(1):  # a visitor's variant comes from the cached experiments
        api.get("/api/v1/products/mug", {"visitor": "v-1"})


def test_a_price_filter_in_exponent_notation_is_a_400(api):
    response = api.get(PRODUCTS, {"price_min": "1e3"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "price_min": ["Enter a decimal number with a dot, such as 19.90 (no exponent)."]}
