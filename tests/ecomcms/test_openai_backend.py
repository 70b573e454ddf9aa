"""ECOMCMS_TEXT_BACKEND=openai against an OpenAI-compatible server started by the test.

The server is tests/openai_server.py (the protocol's /v1/models and /v1/chat/completions in a
thread); where llama-cpp-python's server is installed, the last test runs against a real one.
"""

import importlib.util
import os
import socket
import subprocess
import sys
import time

import pytest

from content import services
from content.models import Draft, DraftStatus
from ecomcms import inference
from ecomcms.inference.base import ChatPrompt, GenerationOptions, ModelError
from ecomcms.inference.openai_backend import OpenAICompatibleGenerator
from tests.content.factories import make_product, make_user
from tests.ecomcms.test_settings import start_django
from tests.openai_server import FakeOpenAIServer

OPENAI = "ecomcms.inference.openai_backend.OpenAICompatibleGenerator"
PROMPTS = [ChatPrompt(system="You write copy.", user=f"Describe product {i}") for i in range(3)]


@pytest.fixture
def server():
    server = FakeOpenAIServer().start()
    yield server
    server.stop()


def client(server, **overrides) -> OpenAICompatibleGenerator:
    options = {"base_url": server.base_url, "model": "", "timeout": 5.0, "concurrency": 4, "retries": 3,
               "backoff": 0.01} | overrides
    return OpenAICompatibleGenerator(**options)


def test_a_batch_comes_back_in_order_with_the_servers_model_and_usage(server):
    generator = client(server, api_key="sk-test")
    results = generator.generate(PROMPTS, GenerationOptions(max_new_tokens=40))

    assert [r.text for r in results] == [f"Copy for Describe product {i}" for i in range(3)]
    assert {r.model_id for r in results} == {"served-model-7b"}  # the model the server listed and answered with
    assert [(r.tokens_in, r.tokens_out) for r in results] == [(14, 5)] * 3  # from the usage field
    assert {(r.batch_size, r.finish_reason) for r in results} == {(3, "stop")}
    body = next(b for b in server.requests if b["messages"][-1]["content"] == "Describe product 0")  # sent concurrently
    assert body["model"] == "served-model-7b" and body["max_tokens"] == 40 and body["temperature"] == 0.0
    assert body["messages"] == [{"role": "system", "content": "You write copy."},
                                {"role": "user", "content": "Describe product 0"}]
    assert {h["Authorization"] for h in server.headers} == {"Bearer sk-test"}


def test_the_length_limit_is_reported_as_the_finish_reason(server):
    result = client(server).generate(PROMPTS[:1], GenerationOptions(max_new_tokens=3))[0]

    assert result.finish_reason == "length"


def test_a_batch_becomes_concurrent_requests_within_the_bound(server):
    server.delay = 0.3
    generator = client(server, concurrency=3)
    started = time.perf_counter()
    results = generator.generate([ChatPrompt(system="", user=f"p{i}") for i in range(9)], GenerationOptions())
    seconds = time.perf_counter() - started

    assert len(results) == 9
    assert server.max_in_flight == 3  # concurrent, and never more than the bound
    assert seconds < 9 * 0.3 * 0.7  # far from one at a time
    assert {r.seconds for r in results} == {results[0].seconds}  # the batch's wall time


def test_a_server_that_does_not_answer_in_time_is_a_transient_error_after_bounded_retries(server):
    server.delay = 1.5
    generator = client(server, timeout=0.3, retries=1)

    with pytest.raises(ModelError, match=r"failed 2 times, last: no answer within 0.3 s") as raised:
        generator.generate(PROMPTS[:1], GenerationOptions())
    assert raised.value.permanent is False  # the drafts go back to the queue
    assert len(server.headers) == 2  # requests that arrived: the first and one retry


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_transient_statuses_are_retried_then_succeed(server, status):
    server.failures = [(status, {"error": {"message": "busy"}}, {"Retry-After": "0"})] * 2
    generator = client(server)

    result = generator.generate(PROMPTS[:1], GenerationOptions())[0]

    assert result.text == "Copy for Describe product 0"
    assert len(server.requests) == 3


def test_retries_are_bounded_and_the_error_stays_transient(server):
    server.always = (503, {"error": {"message": "model is loading"}})
    generator = client(server, retries=2)

    with pytest.raises(ModelError, match="failed 3 times, last: HTTP 503: model is loading") as raised:
        generator.generate(PROMPTS[:1], GenerationOptions())
    assert raised.value.permanent is False
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_client_errors_are_permanent_and_not_retried(server, status):
    server.always = (status, {"error": {"message": "This model's maximum context length is 2048 tokens"}})
    generator = client(server)

    with pytest.raises(ModelError, match=f"HTTP {status}: This model's maximum context length") as raised:
        generator.generate(PROMPTS[:1], GenerationOptions())
    assert raised.value.permanent is True
    assert len(server.requests) == 1


def test_an_unreachable_server_is_a_transient_load_error():
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ModelError, match="does not answer") as raised:
        OpenAICompatibleGenerator(base_url=f"http://127.0.0.1:{port}/v1", timeout=1.0, retries=0)
    assert raised.value.permanent is False


# --- Through the product: settings, drafts ------------------------------------------------------

@pytest.fixture
def openai_settings(settings, server):
    settings.ECOMCMS_TEXT_BACKEND = OPENAI
    settings.ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.fake.FakeEmbedder"
    settings.ECOMCMS_OPENAI_BASE_URL = server.base_url
    settings.ECOMCMS_OPENAI_RETRIES = 1
    settings.ECOMCMS_OPENAI_TIMEOUT = 5.0
    inference.reset()
    yield settings
    inference.reset()


@pytest.mark.django_db
def test_drafts_generated_by_the_server_carry_its_provenance(openai_settings, server):
    products = [make_product() for _ in range(3)]
    services.drafts_request(products=products, kind="meta_description", actor=make_user("Writers"))

    services.drafts_process_queue(max_batches=5)

    drafts = list(Draft.objects.order_by("pk"))
    assert [d.status for d in drafts] == [DraftStatus.IN_REVIEW] * 3
    assert {d.model_id for d in drafts} == {"served-model-7b"}
    assert all(d.tokens_in > 11 and d.tokens_out > 0 for d in drafts)
    assert len(server.requests) == 3


@pytest.mark.django_db
def test_a_permanent_server_error_fails_the_drafts_with_the_reason(openai_settings, server):
    server.always = (400, {"error": {"message": "model 'nope' does not exist"}})
    services.drafts_request(products=[make_product()], kind="meta_description", actor=make_user("Writers"))

    services.drafts_process_queue(max_batches=5)

    draft = Draft.objects.get()
    assert draft.status == DraftStatus.FAILED
    assert "HTTP 400: model 'nope' does not exist" in draft.failure_reason
    assert draft.attempts == 1  # not retried


@pytest.mark.django_db
def test_health_names_the_server_instead_of_local_model_files(openai_settings, server, settings):
    from ecomcms.health import check_models

    settings.ECOMCMS_TEXT_MODEL = "/nonexistent/model"  # not needed with a server
    text = check_models(database_ok=True)["text"]

    assert text["model_id"] == f"the server's first model at {server.base_url}"
    assert text["error"].startswith("no live worker")  # not "no model folder"


def test_the_backend_is_chosen_by_name_and_needs_a_server_address(tmp_path):
    key = tmp_path / "key"
    key.write_text("sk-from-file\n")
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.ECOMCMS_TEXT_BACKEND, s.ECOMCMS_OPENAI_API_KEY, s.ECOMCMS_OPENAI_TIMEOUT, s.ECOMCMS_DEVICE)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "ECOMCMS_TEXT_BACKEND": "openai",
           "ECOMCMS_OPENAI_BASE_URL": "http://vllm:8000/v1", "ECOMCMS_OPENAI_API_KEY_FILE": str(key),
           "ECOMCMS_OPENAI_TIMEOUT": "2.5"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [OPENAI, "sk-from-file", "2.5", "auto"]
    missing = start_django(ECOMCMS_TEXT_BACKEND="openai")
    assert "ECOMCMS_OPENAI_BASE_URL: required with ECOMCMS_TEXT_BACKEND=openai" in missing.stderr
    assert "ECOMCMS_DEVICE: expected auto, cpu" in start_django(ECOMCMS_DEVICE="gpu").stderr
    assert "ECOMCMS_TEXT_BACKEND: expected transformers, openai" in start_django(ECOMCMS_TEXT_BACKEND="vllm").stderr


# --- A real engine, where installed -----------------------------------------------------------------

@pytest.mark.models
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None
                    or importlib.util.find_spec("sse_starlette") is None,
                    reason="llama-cpp-python with its server extra is not installed (see docs/performance.md)")
def test_llama_cpp_server_speaks_the_same_protocol(tmp_path):
    from ecomcms.inference.sources import text_model_source

    source = text_model_source("smollm2")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "llama.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(source.path / source.gguf_file),
         "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "2048"],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        generator = None
        while generator is None and time.monotonic() < deadline:
            try:
                generator = OpenAICompatibleGenerator(base_url=f"http://127.0.0.1:{port}/v1", timeout=120, retries=0)
            except ModelError:
                assert process.poll() is None, (tmp_path / "llama.log").read_text()[-2000:]
                time.sleep(1)
        assert generator is not None, "llama.cpp server did not start"
        results = generator.generate(
            [ChatPrompt(system="You write short product copy.", user="Describe a blue cotton T-shirt."),
             ChatPrompt(system="You write short product copy.", user="Describe a steel water bottle.")],
            GenerationOptions(max_new_tokens=24))
        assert all(r.text and 0 < r.tokens_out <= 24 and r.tokens_in > 10 for r in results)
        assert all(r.model_id for r in results)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
