"""Text generation through an OpenAI-compatible server (vLLM, llama.cpp's server, Ollama, TGI).

``ECOMCMS_TEXT_BACKEND=openai``: the worker sends each prompt of a batch as one
``POST {base}/chat/completions`` request, at most ``ECOMCMS_OPENAI_CONCURRENCY`` at a time
per process, and the serving engine batches them on its side (continuous batching).

Errors:

- transient (a timeout, a refused or dropped connection, 408, 429, any 5xx): retried up to
  ``retries`` times with exponential backoff (honouring ``Retry-After``); when retries run
  out the batch raises ``ModelError(permanent=False)``, so its drafts go back to the queue.
- permanent (any other 4xx: a bad key, an unknown model, a prompt too long): not retried;
  ``ModelError(permanent=True)`` with the server's message, so the drafts fail with the reason.

Provenance is the server's: the ``model`` field of the answer and the token counts of its
``usage`` field. Only the standard request fields are sent (max_tokens, temperature, top_p,
seed, stop); engine-specific ones (vLLM's ``repetition_penalty``, llama.cpp's
``repeat_penalty``) go in ``extra_body``. ``no_repeat_ngram_size`` has no protocol field and
applies to in-process models only.

Standard library only: importing this module imports no ML library.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from urllib.parse import urlsplit

from ecomcms.inference.base import ChatPrompt, Generation, GenerationOptions, ModelError

logger = logging.getLogger(__name__)

TRANSIENT_STATUSES = {408, 425, 429}  # and every 5xx
MAX_BACKOFF_SECONDS = 30.0


class _Transient(Exception):
    """A failure worth another try; ``wait`` is the server's Retry-After, when it sent one."""

    def __init__(self, message: str, wait: float | None = None):
        super().__init__(message)
        self.wait = wait


class OpenAICompatibleGenerator:
    """A ``TextGenerator`` whose model runs in a server speaking the /v1/chat/completions protocol."""

    load_seconds = convert_seconds = 0.0
    parameters = 0

    def __init__(self, *, base_url: str, model: str = "", api_key: str = "", timeout: float = 120.0,
                 connect_timeout: float = 5.0, concurrency: int = 8, retries: int = 3, backoff: float = 0.5,
                 extra_body: dict | None = None, check: bool = True):
        if not base_url:
            raise ModelError("ECOMCMS_OPENAI_BASE_URL: required with ECOMCMS_TEXT_BACKEND=openai "
                             "(e.g. http://vllm:8000/v1)")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.concurrency = max(1, concurrency)
        self.retries = max(0, retries)
        self.backoff = backoff
        self.extra_body = dict(extra_body or {})
        self.model = model
        self.model_id = model or "(the server's default model)"
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()
        if check:
            started = time.perf_counter()
            self._check_server()
            self.load_seconds = time.perf_counter() - started

    @classmethod
    def from_settings(cls, settings) -> OpenAICompatibleGenerator:
        return cls(
            base_url=settings.ECOMCMS_OPENAI_BASE_URL, model=settings.ECOMCMS_OPENAI_MODEL,
            api_key=settings.ECOMCMS_OPENAI_API_KEY, timeout=settings.ECOMCMS_OPENAI_TIMEOUT,
            connect_timeout=settings.ECOMCMS_OPENAI_CONNECT_TIMEOUT, concurrency=settings.ECOMCMS_OPENAI_CONCURRENCY,
            retries=settings.ECOMCMS_OPENAI_RETRIES, extra_body=settings.ECOMCMS_OPENAI_EXTRA_BODY,
        )

    # --- the server -------------------------------------------------------------------------

    def _check_server(self) -> None:
        """Ask ``/models`` once at start: an unreachable server is reported (and retried later),
        and without a configured model the server's first one is used."""
        try:
            listing = self._request("GET", "/models", None, timeout=min(self.timeout, 10.0))
        except _Transient as exc:
            raise ModelError(f"the text server at {self.base_url} does not answer: {exc}", permanent=False) from exc
        except ModelError as exc:
            if "HTTP 404" in str(exc) and self.model:  # some servers have no /models; the model is given
                return
            raise
        ids = [m.get("id") for m in (listing.get("data") or []) if isinstance(m, dict) and m.get("id")]
        if not self.model:
            if not ids:
                raise ModelError(f"the text server at {self.base_url} lists no model; set ECOMCMS_OPENAI_MODEL")
            self.model = ids[0]
            self.model_id = ids[0]
        elif ids and self.model not in ids:
            logger.warning("model %r is not in the server's list %s; sending it anyway", self.model, ids)

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _request(self, method: str, path: str, body: dict | None, *, timeout: float) -> dict:
        """One HTTP exchange. Raises ``_Transient`` for what a retry may cure, ``ModelError`` otherwise.

        ``connect_timeout`` bounds the connection; ``timeout`` bounds each wait for the answer.
        """
        data = json.dumps(body).encode() if body is not None else None
        url = urlsplit(self.base_url + path)
        connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(url.hostname, url.port, timeout=min(self.connect_timeout, timeout))
        target = url.path + (f"?{url.query}" if url.query else "")
        try:
            connection.connect()
            connection.sock.settimeout(timeout)
            connection.request(method, target, body=data, headers=self._headers())
            response = connection.getresponse()
            raw = response.read()
        except TimeoutError as exc:
            raise _Transient(f"no answer within {timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, DNS: the server may be restarting
            raise _Transient(f"cannot reach {self.base_url}: {type(exc).__name__}: {exc}") from exc
        finally:
            connection.close()
        if response.status >= 400:
            message = _error_message(raw, response.reason)
            if response.status in TRANSIENT_STATUSES or response.status >= 500:
                raise _Transient(f"HTTP {response.status}: {message}", _retry_after(response.getheader("Retry-After")))
            raise ModelError(f"the text server refused the request: HTTP {response.status}: {message}", permanent=True)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ModelError(
                f"the text server sent an answer that is not JSON: {raw[:200]!r}", permanent=False
            ) from exc

    def _request_with_retries(self, body: dict) -> dict:
        for attempt in range(self.retries + 1):
            try:
                return self._request("POST", "/chat/completions", body, timeout=self.timeout)
            except _Transient as exc:
                if attempt == self.retries:
                    raise ModelError(
                        f"the text server failed {attempt + 1} times, last: {exc}", permanent=False
                    ) from exc
                wait = exc.wait if exc.wait is not None else self.backoff * (2 ** attempt) * (1 + random.random() / 2)
                logger.info("text server: %s; retry %d of %d in %.1f s", exc, attempt + 1, self.retries, wait)
                time.sleep(min(wait, MAX_BACKOFF_SECONDS))
        raise AssertionError("unreachable")

    # --- the TextGenerator interface ----------------------------------------------------------

    def _body(self, prompt: ChatPrompt, options: GenerationOptions) -> dict:
        body = {"messages": prompt.messages(), "max_tokens": options.max_new_tokens,
                "temperature": options.temperature, "stream": False}
        if self.model:
            body["model"] = self.model
        if options.temperature > 0 and options.top_p < 1:
            body["top_p"] = options.top_p
        if options.seed is not None:
            body["seed"] = options.seed
        if options.stop:
            body["stop"] = list(options.stop)
        return {**body, **self.extra_body}

    def _pool(self) -> ThreadPoolExecutor:
        with self._executor_lock:  # built on first use, after the worker's fork
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="ecomcms-openai")
            return self._executor

    def generate(self, prompts: list[ChatPrompt], options: GenerationOptions) -> list[Generation]:
        if not prompts:
            return []
        started = time.perf_counter()
        futures = [self._pool().submit(self._request_with_retries, self._body(p, options)) for p in prompts]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in futures if f in done and f.exception() is not None), None)
        if failed is not None:
            for future in pending:  # one prompt failed for good: do not send the ones still waiting
                future.cancel()
            raise failed.exception()
        answers = [future.result() for future in futures]
        seconds = round(time.perf_counter() - started, 4)
        return [self._generation(answer, len(prompts), seconds) for answer in answers]

    def _generation(self, answer: dict, batch_size: int, seconds: float) -> Generation:
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise ModelError(
                f"the text server's answer has no message: {json.dumps(answer)[:300]}", permanent=False
            ) from exc
        usage = answer.get("usage") or {}
        finish = "length" if choice.get("finish_reason") == "length" else "stop"
        return Generation(
            text=text.strip(), model_id=str(answer.get("model") or self.model_id),
            tokens_in=int(usage.get("prompt_tokens") or 0), tokens_out=int(usage.get("completion_tokens") or 0),
            seconds=seconds, batch_size=batch_size, finish_reason=finish,
        )


def _error_message(raw: bytes, reason: str) -> str:
    try:
        data = json.loads(raw[:4000])
    except ValueError:
        return raw[:500].decode("utf-8", "replace").strip() or reason
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        return str(error.get("message") or error)[:500]
    return str(error)[:500]


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
