"""A small OpenAI-compatible server for tests: /v1/models and /v1/chat/completions, in a thread.

It answers each chat request with a text built from the last user message and a ``usage``
field, and can be told to be slow, to fail a number of times first, or to refuse. It counts
requests and the largest number it held at once, so a test can check the client's bound.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAIServer:
    model = "served-model-7b"

    def __init__(self):
        self.requests: list[dict] = []  # chat request bodies, in arrival order
        self.headers: list[dict] = []
        self.delay = 0.0  # seconds before each chat answer
        self.failures: list[tuple[int, dict, dict]] = []  # (status, body, headers) to answer first, in order
        self.always: tuple[int, dict] | None = None  # a status and body for every chat request
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, body: dict) -> tuple[int, dict, dict]:
        with self._lock:
            self.requests.append(body)
            if self.failures:
                return self.failures.pop(0)
        if self.always:
            return self.always[0], self.always[1], {}
        user = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
        text = f"Copy for {user[:60]}"
        completion_tokens = min(len(text.split()), body.get("max_tokens", 10**6))
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": f"  {text}  "},
                         "finish_reason": "length" if body.get("max_tokens", 99) <= 3 else "stop"}],
            "usage": {"prompt_tokens": 11 + len(user.split()), "completion_tokens": completion_tokens,
                      "total_tokens": 11 + len(user.split()) + completion_tokens},
        }, {}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:  # the client gave up (a timeout test)
                    pass

            def do_GET(self):
                if self.path == "/v1/models":
                    return self._send(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
                self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                with server._lock:
                    server.headers.append(dict(self.headers))
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    if server.delay:
                        time.sleep(server.delay)
                    status, answer, headers = server.answer(body)
                finally:
                    with server._lock:
                        server.in_flight -= 1
                self._send(status, answer, headers)

        return Handler
