"""What every endpoint shares: JSON errors with stable codes, refused bad bodies, throttling, the schema."""

import re

import pytest
import yaml

from tests.content.factories import make_product
from tests.permissions_routes import walk
from tests.storefront.factories import make_token

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events"


def error_code(response) -> str:
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]["code"]


@pytest.mark.parametrize("body", [b"{not json", b'{"events": [1, 2,', b"NaN", b"[" * 100_000, b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_parse_error(shop, body):
    response = shop.post(EVENTS, body, content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "parse_error"


def test_a_number_too_long_to_read_is_a_parse_error(shop):
    response = shop.post(EVENTS, b'{"events": [{"quantity": ' + b"9" * 5000 + b"}]}", content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "parse_error"


def test_a_body_that_is_not_json_at_all_is_an_unsupported_media_type(shop):
    response = shop.post(EVENTS, {"events": "x"})  # a form

    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


def test_a_wrong_method_is_a_405(api):
    response = api.delete("/api/v1/products")

    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"


def test_only_json_is_served(api):
    response = api.get("/api/v1/products", HTTP_ACCEPT="text/html")

    assert response.status_code == 406
    assert error_code(response) == "not_acceptable"


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/products/", "/api/v1/products/a/b"])
def test_any_other_api_path_is_a_json_404(api, method, path):
    response = getattr(api, method)(path)

    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_a_huge_number_or_a_far_date_in_a_query_is_a_400(api):
    for query in ({"price_min": "1" + "0" * 40}, {"updated_since": "0001-01-01T00:00:00+14:00"},
                  {"page_size": "9" * 40}, {"in_stock": "maybe"}, {"search": "\x00"}):
        response = api.get("/api/v1/products", query)
        assert (response.status_code, error_code(response)) == (400, "validation_error"), query


# --- Throttling -------------------------------------------------------------------------------

@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {"DEFAULT_THROTTLE_RATES": {"anon": "2/min", "token": "3/min"}}


def test_anonymous_callers_are_throttled_per_ip(api, low_rates):
    statuses = [api.get("/api/v1/categories").status_code for _ in range(3)]
    other_ip = api.get("/api/v1/categories", REMOTE_ADDR="10.0.0.2")

    assert statuses == [200, 200, 429]
    assert other_ip.status_code == 200


def test_a_throttled_response_says_when_to_retry(api, low_rates):
    for _ in range(2):
        api.get("/api/v1/categories")

    response = api.get("/api/v1/categories")

    assert error_code(response) == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_x_forwarded_for_does_not_escape_the_ip_limit(api, low_rates):
    statuses = [api.get("/api/v1/categories", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(3)]

    assert statuses == [200, 200, 429]


def test_each_token_has_its_own_limit(api, low_rates):
    first, second = make_token(name="a"), make_token(name="b")

    statuses = [api.get("/api/v1/categories", HTTP_AUTHORIZATION=f"Bearer {first}").status_code for _ in range(4)]
    other = api.get("/api/v1/categories", HTTP_AUTHORIZATION=f"Bearer {second}")

    assert statuses == [200, 200, 200, 429]
    assert other.status_code == 200


# --- The schema -------------------------------------------------------------------------------

def test_the_schema_documents_every_endpoint_with_its_errors(api):
    schema = yaml.safe_load(api.get("/api/schema/").content)

    operations = {(path, method): operation for path, methods in schema["paths"].items()
                  for method, operation in methods.items() if path.startswith("/api/v1/")}
    # Every API route of every app (the kit's views, not only the storefront's), except the catch-all 404.
    api_paths = {"/" + re.sub(r"<\w+:(\w+)>", r"{\1}", route.pattern) for route in walk()
                 if route.pattern.startswith("api/v1/") and route.name != "api-not-found"}
    assert len(api_paths) > 20
    assert api_paths <= {path for path, _ in operations}
    for (path, method), operation in operations.items():
        documented = set(operation["responses"])
        assert {"406", "429"} <= documented, path
        assert all(operation["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                   == "#/components/schemas/Error" for code in documented if code >= "400"), path
        if method == "post":
            assert {"400", "413", "415"} <= documented, path
    assert schema["components"]["securitySchemes"]["storefrontToken"]["scheme"] == "bearer"


def test_the_docs_page_is_served(api):
    make_product()

    assert api.get("/api/docs/").status_code == 200


# --- Settings ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("API_THROTTLE_ANON", "fast", "API_THROTTLE_ANON: expected requests per period such as 120/min"),
    ("API_THROTTLE_TOKEN", "0/min", "API_THROTTLE_TOKEN: expected requests per period"),
    ("API_MAX_BODY_BYTES", "10", "API_MAX_BODY_BYTES: must be at least 1024"),
    ("API_CACHE_MAX_AGE", "a minute", "API_CACHE_MAX_AGE: expected a whole number"),
])
def test_a_wrong_api_setting_fails_at_start_naming_the_variable(variable, value, expected):
    from tests.ecomcms.test_settings import start_django

    result = start_django(**{variable: value})

    assert result.returncode != 0
    assert expected in result.stderr
