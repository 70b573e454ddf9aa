"""Hostile input the schema fuzz did not find (issue 13, defects 1, 2 and 8): always a JSON 400, never a 500.

- A NUL in any path parameter of any route (found by walking the URL resolver).
- A lone surrogate in any choice field: the "not a valid choice" message echoes it, and the
  JSON renderer must still write it; a batch of events is stored and reported, never half-stored then 500.
- A Content-Type charset that is not a text encoding, through the real WSGI handler
  (Django's test client builds its own request and would not see the constructor fail).
"""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from ecomcms.api.errors import exception_handler
from ecomcms.wsgi import application
from recommender.models import Event
from support.models import ReplySuggestion
from tests.content.factories import make_product, make_user
from tests.permissions_routes import walk
from tests.support.factories import make_agent, make_ticket

SURROGATE = "\ud800"
CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
SAMPLE = {
    "int": "1",
    "slug": "a-slug",
    "str": "T-AAAAAAAA",
    "path": "a/b",
    "uuid": "12345678-1234-1234-1234-123456789012",
}


# --- 1. NUL in a path parameter -----------------------------------------------------------------

def _routes_with_parameters() -> list[tuple[str, str]]:
    """(pattern, parameter) for every parameter of every ``path()`` route, admin and API alike."""
    found = []
    for route in walk():
        if any(is_regex for _, is_regex in route.pieces):
            continue  # regex routes (the API's catch-all, the CMS's pages) take any path; covered below
        for match in CONVERTER.finditer(route.pattern):
            found.append((route.pattern, match["name"]))
    return found


def _url_with_nul(pattern: str, parameter: str) -> str:
    def fill(match):
        if match["name"] == parameter:
            return "a%00b"
        return SAMPLE.get(match["converter"] or "str", "x")
    return "/" + CONVERTER.sub(fill, pattern)


ROUTES = _routes_with_parameters()
API_ROUTES = [(pattern, parameter) for pattern, parameter in ROUTES if pattern.startswith("api/")]


def test_the_walk_finds_the_api_path_parameters_named_in_the_issue():
    names = {(pattern.split("/")[2], parameter) for pattern, parameter in API_ROUTES}
    assert {("tickets", "public_id"), ("recommendations", "session_id"), ("recommendations", "customer_id"),
            ("staff", "public_id"), ("staff", "draft_id"), ("staff", "suggestion_id")} <= names
    assert len(API_ROUTES) >= 15


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("pattern", "parameter"), API_ROUTES, ids=[f"{p}:{n}" for p, n in API_ROUTES])
def test_a_nul_in_any_api_path_parameter_is_a_json_400(db, caplog, pattern, parameter, method):
    client = Client(HTTP_X_TICKET_TOKEN="any", HTTP_AUTHORIZATION="Bearer sf_whatever")
    client.force_login(make_user("Editors"))
    caplog.set_level(logging.WARNING)

    response = getattr(client, method)(_url_with_nul(pattern, parameter), content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR or record.exc_info]


@pytest.mark.parametrize(("pattern", "parameter"), [r for r in ROUTES if r not in API_ROUTES][:400])
def test_a_nul_in_any_other_path_is_a_400(db, pattern, parameter):
    client = Client()
    client.force_login(make_user(None))
    assert client.get(_url_with_nul(pattern, parameter)).status_code == 400


def test_a_nul_anywhere_in_an_api_path_is_a_json_400(client):
    response = client.get("/api/v1/nowhere%00/at-all")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


# --- 2. A lone surrogate in a choice field ------------------------------------------------------

@pytest.fixture
def staff_client(db, client):
    user = make_agent()
    user.user_permissions.add(*__import__("django.contrib.auth.models", fromlist=["Permission"]).Permission.objects
                              .filter(content_type__app_label="ecomcms_content"))
    user.groups.add(*make_user("Editors").groups.all())
    client.force_login(user)
    return client


def _post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def _assert_json_400(response, field_path: str):
    assert response.status_code == 400, response.content[:300]
    body = json.loads(response.content)
    assert body["error"]["code"] == "validation_error"
    assert field_path in body["error"]["fields"]
    assert "\\ud800" in body["error"]["fields"][field_path][0]  # the input, shown as text UTF-8 can hold
    response.content.decode("utf-8")  # strict UTF-8 throughout


def test_a_surrogate_ticket_channel_is_a_json_400(client, db):
    response = _post(client, "/api/v1/tickets",
                     {"email": "s@example.com", "subject": "s", "message": "m", "channel": SURROGATE})
    _assert_json_400(response, "channel")


def test_a_surrogate_generation_job_kind_is_a_json_400(staff_client):
    response = _post(staff_client, "/api/v1/staff/generation-jobs", {"kind": SURROGATE, "products": ["x"]})
    _assert_json_400(response, "kind")


@pytest.mark.parametrize(("path", "body", "field"), [
    ("status", {"status": SURROGATE}, "status"),
    ("messages", {"message": "Hello", "status_after": SURROGATE}, "status_after"),
    ("predictions", {"field": SURROGATE, "value": "x"}, "field"),
])
def test_a_surrogate_in_a_staff_ticket_choice_is_a_json_400(staff_client, path, body, field):
    ticket, _ = make_ticket()
    _assert_json_400(_post(staff_client, f"/api/v1/staff/tickets/{ticket.public_id}/{path}", body), field)


@pytest.mark.parametrize("action", ["accept", "edit-and-send"])
def test_a_surrogate_suggestion_status_after_is_a_json_400(staff_client, action):
    ticket, _ = make_ticket()
    suggestion = ReplySuggestion.objects.create(ticket=ticket, text="Hello", status=ReplySuggestion.Status.READY)
    body = {"status_after": SURROGATE, "text": "Hello"}
    _assert_json_400(_post(staff_client, f"/api/v1/staff/suggestions/{suggestion.pk}/{action}", body),
                     "status_after")


def test_a_surrogate_event_type_is_reported_and_the_rest_of_the_batch_stored_once(shop):
    make_product(sku="SKU-1", slug="blue-shirt")
    good = {"id": "e-1", "type": "view", "product": "SKU-1", "session_id": "s", "occurred_at": "2026-05-01T10:00:00Z"}
    bad = good | {"id": "e-2", "type": SURROGATE}
    first = shop.post("/api/v1/events", json.dumps({"events": [good, bad]}), content_type="application/json")
    again = shop.post("/api/v1/events", json.dumps({"events": [good, bad]}), content_type="application/json")

    assert first.status_code == again.status_code == 200
    assert (first.json()["accepted"], first.json()["duplicates"]) == (1, 0)
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 1)
    rejection = first.json()["rejected"][0]
    assert (rejection["index"], rejection["id"], rejection["code"]) == (1, "e-2", "validation_error")
    assert "\\ud800" in rejection["fields"]["type"][0]
    assert Event.objects.count() == 1


def test_an_error_message_that_echoes_a_surrogate_anywhere_still_renders(rf):
    from rest_framework.exceptions import NotFound, ValidationError
    from rest_framework.views import APIView

    from ecomcms.api.http import JsonRenderer
    for exc in (ValidationError({SURROGATE: [f"bad {SURROGATE}"]}), NotFound(f"no {SURROGATE}")):
        response = exception_handler(exc, {"request": rf.get("/"), "view": APIView()})
        rendered = JsonRenderer().render(response.data)
        assert "\\\\ud800" in rendered.decode("utf-8")
    assert json.loads(JsonRenderer().render({"raw": SURROGATE})) == {"raw": SURROGATE}  # the safety net


# --- 8. A charset that is not a text encoding ---------------------------------------------------

@pytest.fixture
def in_process_requests():
    """Keep the test's database connection open across WSGI requests, as Django's test client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def wsgi_call(method: str, path: str, *, query: str = "", content_type: str = "", body: bytes = b"",
              headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One request through the project's real WSGI application, as gunicorn would send it."""
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "localhost", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    environ.update(headers or {})
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"], started["headers"] = int(status.split()[0]), dict(response_headers)

    chunks = application(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return started["status"], started["headers"], content


BAD_CHARSETS = ["rot13", "hex", "base64", "zlib", "bz2", "uu", "quopri", "punycode", "utf-16", "idna",
                "no-such-charset", "x" * 300, "utf-8\x00"]


@pytest.mark.parametrize("charset", BAD_CHARSETS)
@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/products"), ("POST", "/api/v1/events"),
                                              ("GET", "/api/v1/tickets/T-AAAAAAAA"), ("POST", "/api/v1/tickets")])
def test_a_charset_that_is_no_text_encoding_is_a_json_400(db, in_process_requests, charset, method, path):
    status, headers, content = wsgi_call(method, path, query="page_size=1", body=b'{"events": []}',
                                         content_type=f"application/json; charset={charset}")
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    assert json.loads(content)["error"]["code"] == "invalid_request"


def test_a_charset_that_is_no_text_encoding_is_a_400_outside_the_api_too(db, in_process_requests):
    status, _, _ = wsgi_call("GET", "/admin/login/", query="next=/admin/", content_type="text/html; charset=rot13")
    assert status == 400


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "latin-1", "iso-8859-15", "us-ascii", "cp1252"])
def test_readable_charsets_are_still_served(db, in_process_requests, charset):
    status, _, content = wsgi_call("GET", "/api/v1/products", query="page_size=1",
                                   content_type=f"application/json; charset={charset}")
    assert status == 200, content
