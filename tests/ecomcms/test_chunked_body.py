"""A chunked request body (no Content-Length) is a clear 411, through real HTTP servers.

Django reads ``Content-Length`` bytes of a body, so a chunked body would reach the API empty and
the answer would be "events: This field is required." (the bug). Sent with http.client over a
socket, to the live server (Django's threaded server, as runserver) and to gunicorn.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT
from tests.storefront.factories import make_token

EVENTS = json.dumps({"events": [{"id": "c-1", "type": "view", "product": "mug", "session_id": "s-1",
                                 "occurred_at": "2026-01-01T00:00:00Z"}]}).encode()


def send(host: str, port: int, body, headers: dict) -> tuple[int, dict, str]:
    """POST /api/v1/events; a ``Chunked`` body goes chunked, without Content-Length.

    The chunked request is written in one piece, as a client with the whole body at hand does: the
    server answers 411 after the headers and closes, and a client still writing a second chunk then
    (http.client writes each chunk separately) would get a broken pipe instead of the answer.
    """
    headers = {"Content-Type": "application/json", **headers}
    if isinstance(body, Chunked):
        with socket.create_connection((host, port), timeout=30) as sock:
            head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
            sock.sendall(f"POST /api/v1/events HTTP/1.1\r\nHost: {host}:{port}\r\nTransfer-Encoding: chunked\r\n"
                         f"{head}\r\n".encode() + body.encoded())
            response = http.client.HTTPResponse(sock)
            response.begin()
            return response.status, dict(response.getheaders()), response.read().decode()
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("POST", "/api/v1/events", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


class Chunked:
    """A body sent in two chunks with Transfer-Encoding: chunked."""

    def __init__(self, data: bytes) -> None:
        self.parts = [data[:20], data[20:]]

    def encoded(self) -> bytes:
        return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in self.parts) + b"0\r\n\r\n"


def chunked(data: bytes) -> Chunked:
    return Chunked(data)


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_is_a_411_with_the_apis_json_error_on_the_live_server(live_server):
    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    token = make_token("events:write")

    status, headers, body = send(host, port, chunked(EVENTS), {"Authorization": f"Bearer {token}"})

    assert status == 411, body
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "length_required"
    assert "Content-Length" in error["message"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ecomcms.settings", "DEBUG": "true",
           "ECOMCMS_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "ecomcms.wsgi:application", "-b", f"127.0.0.1:{port}",
                                "-w", "1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(timeout=30)


def test_gunicorn_answers_a_chunked_body_with_a_411_and_a_body_with_a_length_as_usual(gunicorn):
    status, _, body = send("127.0.0.1", gunicorn, chunked(EVENTS), {})
    assert status == 411, body
    assert json.loads(body)["error"]["code"] == "length_required"

    status, _, body = send("127.0.0.1", gunicorn, EVENTS, {})
    assert status == 401, body  # the same request with a Content-Length gets past the guard, to the token check
    assert json.loads(body)["error"]["code"] == "not_authenticated"
