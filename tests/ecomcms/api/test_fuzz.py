"""Acceptance: a fuzz run against the generated OpenAPI schema (schemathesis), bounded and seeded.

Every operation in the schema gets generated valid and invalid requests, sent in-process
to the WSGI app as a storefront token with every scope and as a signed-in editor (session
and CSRF cookies), so the staff endpoints are exercised past authentication. The checks:
no 5xx, status codes, content types, headers and bodies as documented, invalid input
refused, and so on (schemathesis' built-in checks).

Bounded: 25 generated examples per operation plus schemathesis' coverage cases (about 80
requests per operation), 5 s at most each; derandomized, so every run sends the same requests.

What the schema cannot describe (NUL and lone surrogates in path parameters, any header value, odd
Content-Type charsets through the real WSGI handler, a surrogate in every choice field) is fuzzed in
test_fuzz_hostile.py; hostile import files in tests/content/test_import_fuzz.py; concurrent identical
event batches in test_events_concurrency.py.
"""

from datetime import timedelta

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from ecomcms.wsgi import application
from tests.content.factories import make_product, make_user
from tests.storefront.factories import make_draft, make_token, publish

CSRF = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # Django accepts a 32-character secret as cookie and header


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection open across WSGI requests, as Django's test client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def catalog(db, in_process_requests, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {"DEFAULT_THROTTLE_RATES": {"anon": "100000/min",
                                                                                     "token": "100000/min"}}
    for n, slug in enumerate(["blue-cotton-shirt", "red-mug", "canvas-bag"]):
        product = make_product(slug=slug, sku=f"SKU-{n}")
        publish(product, f"Description {n}.")
        make_draft(product, text=f"Draft {n}.", kind="seo_title")


@pytest.fixture
def credentials(db, client):
    client.force_login(make_user("Editors"))
    return {
        "headers": {"Authorization": f"Bearer {make_token()}", "X-CSRFToken": CSRF},
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF},
    }


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
schema.config.generation.update(with_security_parameters=False)  # the credentials below are sent as they are

# What the schema cannot express, and the unit tests cover instead.
EXCLUDED_CHECKS = {
    # A batch with a bad event is a 200 that stores the good events and reports the bad one.
    "POST /api/v1/events": [negative_data_rejection],
    # The products named must exist: made-up SKUs are schema-valid and rightly refused.
    "POST /api/v1/staff/generation-jobs": [positive_data_acceptance],
}


def _above(low, high) -> bool:
    try:
        return low is not None and high is not None and float(low) > float(high)
    except (TypeError, ValueError):
        return False


@schema.parametrize()
@settings(max_examples=25, deadline=timedelta(seconds=5), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_operation_conforms_to_the_schema_and_never_fails(case, catalog, credentials):
    excluded = list(EXCLUDED_CHECKS.get(case.operation.label, []))
    if "cursor" in (case.query or {}):
        # Cursors are opaque: a made-up one is a string as the schema says, and still a 400 invalid_cursor.
        excluded.append(positive_data_acceptance)
    if _above((case.query or {}).get("price_min"), (case.query or {}).get("price_max")):
        # Each price is valid alone; a minimum above the maximum is a 400 the schema cannot express.
        excluded.append(positive_data_acceptance)
    case.call_and_validate(**credentials, excluded_checks=excluded)
