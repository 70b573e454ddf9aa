"""Fuzzing what the schema fuzz (test_fuzz.py) cannot generate (issue 13, "Fuzzing that finds the next one").

The schema fuzz sends what the OpenAPI schema describes; the defects of issue 13 lived outside it.
Here hypothesis sends, through the project's real WSGI application (as gunicorn would):

- path parameters of every API route (found by walking the URL resolver) holding NUL, lone
  surrogates (percent-encoded as their UTF-8-ish bytes), very long and non-ASCII text;
- header values (tokens, conditional-request dates and tags, Accept, X-Forwarded-For, cookies)
  holding any byte a WSGI server passes on;
- Content-Type charsets: every codec Python knows, and made-up names;
- a lone surrogate in every choice field (enum) of every request body and query in the schema.

Every answer must be below 500, and under /api/ a 4xx is the API's JSON error. Bounded and
derandomized: about 25 s in all.
"""

from __future__ import annotations

import codecs
import encodings.aliases
import json
import re
from urllib.parse import quote, unquote_to_bytes

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.content.factories import make_product, make_user
from tests.ecomcms.api.test_hostile_input import in_process_requests, wsgi_call  # noqa: F401 (a fixture)
from tests.permissions_routes import walk
from tests.storefront.factories import make_token
from tests.support.factories import make_agent, make_ticket

CONVERTER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
SAMPLE = {"int": "1", "slug": "a-slug", "str": "T-AAAAAAAA", "path": "a/b"}
API_PATTERNS = sorted({route.pattern for route in walk()
                       if route.pattern.startswith("api/") and CONVERTER.search(route.pattern)
                       and not any(is_regex for _, is_regex in route.pieces)})
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF, categories=None), max_size=20),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfffy", "\u202e\u0000", "%00", "..", "../..", "\ufeff"]),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "\U0001f600", "\x00"]), st.integers(1000, 9000)),
)
header_value = st.one_of(
    st.binary(max_size=60).map(lambda data: data.decode("latin-1")),  # WSGI: the raw bytes as latin-1
    hostile_text.map(lambda text: text.encode("utf-8", "surrogatepass").decode("latin-1")),
)
HEADERS = ["HTTP_AUTHORIZATION", "HTTP_X_TICKET_TOKEN", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_ACCEPT",
           "HTTP_X_FORWARDED_FOR", "HTTP_COOKIE", "HTTP_X_CSRFTOKEN", "HTTP_ACCEPT_ENCODING", "CONTENT_LENGTH"]
CHARSETS = sorted(set(encodings.aliases.aliases.values()) | {"rot13", "hex", "base64", "zlib", "bz2", "uu",
                                                              "quopri", "punycode", "idna", "utf-8-sig"})


def _path(pattern: str, values: dict[str, str]) -> str:
    """PATH_INFO as a WSGI server gives it: percent-decoded bytes, as latin-1."""
    def fill(match):
        value = values.get(match["name"])
        if value is None:
            return SAMPLE.get(match["converter"] or "str", "x")
        return quote(value.encode("utf-8", "surrogatepass"), safe="")
    return unquote_to_bytes("/" + CONVERTER.sub(fill, pattern)).decode("latin-1")


def _assert_answer(status: int, headers: dict, content: bytes, path: str) -> None:
    assert status < 500, (status, path, content[:300])
    if path.startswith("/api/") and 400 <= status < 500 and status != 405 or status == 400:
        assert headers.get("Content-Type", "").startswith("application/json"), (status, path, content[:200])
        assert json.loads(content.decode("utf-8"))["error"]["code"]


@pytest.fixture
def world(db, in_process_requests, settings):  # noqa: F811
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {"DEFAULT_THROTTLE_RATES": {"anon": "100000/min",
                                                                                     "token": "100000/min"}}
    make_product(sku="SKU-1", slug="a-slug")
    ticket, ticket_token = make_ticket()
    return {"token": make_token(), "ticket": ticket.public_id, "ticket_token": ticket_token}


@FUZZ
@given(pattern=st.sampled_from(API_PATTERNS), value=hostile_text, method=st.sampled_from(["GET", "POST"]),
       data=st.data())
def test_any_path_parameter_value_is_answered_below_500(world, pattern, value, method, data):
    names = [match["name"] for match in CONVERTER.finditer(pattern)]
    name = data.draw(st.sampled_from(names))
    path = _path(pattern, {name: value})
    status, headers, content = wsgi_call(method, path, body=b"{}", content_type="application/json",
                                         headers={"HTTP_AUTHORIZATION": f"Bearer {world['token']}",
                                                  "HTTP_X_TICKET_TOKEN": world["ticket_token"]})
    _assert_answer(status, headers, content, path)
    if "\x00" in value:
        assert status == 400, (path, status)  # docs/api.md: NUL is a 400, whatever the database would do


@FUZZ
@given(header=st.sampled_from(HEADERS), value=header_value,
       target=st.sampled_from(["GET /api/v1/products", "GET /api/v1/products/a-slug", "POST /api/v1/events",
                               "GET /api/v1/tickets/{ticket}", "GET /api/v1/recommendations/session/s-1",
                               "GET /api/v1/staff/drafts", "GET /admin/login/"]))
def test_any_header_value_is_answered_below_500(world, header, value, target):
    method, path = target.format(ticket=world["ticket"]).split(" ")
    sent = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"} if "events" in path else {}
    sent[header] = value
    status, headers, content = wsgi_call(method, path, body=b'{"events": []}', content_type="application/json",
                                         headers=sent)
    _assert_answer(status, headers, content, path)


@FUZZ
@given(charset=st.one_of(st.sampled_from(CHARSETS), st.text(max_size=30)),
       method=st.sampled_from(["GET", "POST"]), query=st.sampled_from(["", "page_size=1", "search=caf%C3%A9", "a=%FF"]))
def test_any_content_type_charset_is_answered_below_500(world, charset, method, query):
    path = "/api/v1/products" if method == "GET" else "/api/v1/events"
    status, headers, content = wsgi_call(
        method, path, query=query, body=b'{"events": []}',
        content_type=f"application/json; charset={charset}".encode("utf-8", "surrogatepass").decode("latin-1"),
        headers={"HTTP_AUTHORIZATION": f"Bearer {world['token']}"})
    _assert_answer(status, headers, content, path)
    readable = True
    try:
        readable = codecs.lookup(charset).name in {"utf-8", "ascii", "latin-1"} or status != 400
    except (LookupError, ValueError):  # ValueError: a NUL in the name
        readable = False
    assert readable or status == 400


# --- Every choice field in the schema gets a lone surrogate ------------------------------------

def _schema() -> dict:
    return json.loads(Client().get("/api/schema/?format=json").content)


def _choice_fields(schema: dict) -> list[tuple[str, str, str, str]]:
    """(method, path, "body" or "query", field) for every enum in a request body or query of the schema."""
    components = schema["components"]["schemas"]

    def resolve(node):
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[1]]
        return node

    def is_choice(node) -> bool:
        node = resolve(node)
        return "enum" in node or any("enum" in resolve(part) for part in node.get("oneOf", []) + node.get("allOf", []))

    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and is_choice(parameter.get("schema", {})):
                    found.append((method.upper(), path, "query", parameter["name"]))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                body = resolve(body)
                for name, prop in body.get("properties", {}).items():
                    if is_choice(prop):
                        found.append((method.upper(), path, "body", name))
                    items = resolve(prop).get("items")
                    if items and resolve(items).get("properties"):
                        for inner, inner_prop in resolve(items)["properties"].items():
                            if is_choice(inner_prop):
                                found.append((method.upper(), path, f"body:{name}[]", inner))
    return found


def test_every_choice_field_in_the_schema_answers_a_lone_surrogate_with_a_json_4xx(db, client, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {"DEFAULT_THROTTLE_RATES": {"anon": "100000/min",
                                                                                     "token": "100000/min"}}
    fields = _choice_fields(_schema())
    assert {("POST", "/api/v1/tickets", "body", "channel"), ("POST", "/api/v1/events", "body:events[]", "type"),
            ("POST", "/api/v1/staff/generation-jobs", "body", "kind")} <= set(fields), fields
    ticket, _ = make_ticket()
    user = make_agent()
    user.groups.add(*make_user("Editors").groups.all())
    client.force_login(user)
    token = make_token()
    for method, path, where, name in fields:
        url = re.sub(r"\{\w*id\}", "1", path).replace("{public_id}", ticket.public_id)
        url = re.sub(r"\{\w+\}", "a-slug", url)
        if where == "query":
            response = client.get(f"{url}?{name}=%ED%A0%80", HTTP_AUTHORIZATION=f"Bearer {token}")
        else:
            value = {name: "\ud800"}
            body = {where.split(":")[1][:-2]: [value]} if ":" in where else value
            response = client.generic(method, url, json.dumps(body), content_type="application/json",
                                      HTTP_AUTHORIZATION=f"Bearer {token}")
        answer = json.loads(response.content.decode("utf-8"))  # strict UTF-8 JSON, whatever the status
        if path == "/api/v1/events" and response.status_code == 200:
            assert "type" in answer["rejected"][0]["fields"]  # a batch reports its bad events
            continue
        assert 400 <= response.status_code < 500, (method, path, name, response.status_code, response.content[:200])
        assert answer["error"]["code"], (method, path, name)
