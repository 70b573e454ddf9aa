"""/metrics: who may scrape it, which metrics it serves, and that they move when the product works."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from ecomcms import inference
from ecomcms.inference import ChatPrompt, GenerationOptions
from ecomcms.models import WorkerHeartbeat
from ecomcms.monitoring import metrics
from ecomcms.worker import write_heartbeat

TOKEN = "scrape-token-0123456789abcdef"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def scrape(client, **headers) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", **(headers or AUTH))
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def names(samples) -> set[str]:
    return {name for name, _ in samples}


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


# --- Access -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_metrics_are_off_without_a_token_or_a_network(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    assert client.get("/metrics", **AUTH).status_code == 404


@pytest.mark.django_db
def test_a_scraper_without_the_right_token_is_refused(client, token):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong-token-0123456789").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403
    assert client.get("/metrics", **AUTH).status_code == 200


@pytest.mark.django_db
def test_an_allowed_network_needs_no_token_and_others_are_refused(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    # X-Forwarded-For is not believed without API_TRUSTED_PROXIES: the connection's address counts.
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 403
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1", "::1"]
    assert client.get("/metrics").status_code == 200  # the test client's address


@pytest.mark.django_db
def test_a_staff_session_is_not_a_scrape_credential(admin_client, token):
    assert admin_client.get("/metrics").status_code == 403


# --- What a scrape holds ------------------------------------------------------------------------------

EXPECTED = {
    "ecomcms_http_request_duration_seconds_bucket", "ecomcms_queue_messages", "ecomcms_broker_up",
    "ecomcms_drafts", "ecomcms_drafts_oldest_queued_seconds", "ecomcms_support_triage_latency_seconds_bucket",
    "ecomcms_support_triage_latency_seconds_count", "ecomcms_support_triage_waiting", "ecomcms_model_workers",
    "ecomcms_worker_processes", "ecomcms_recommender_active_version", "ecomcms_metrics_collector_up",
}


@pytest.mark.django_db
def test_a_scrape_serves_every_family_and_every_collector_answers(client, token):
    client.get("/healthz/live")
    samples = scrape(client)
    assert EXPECTED <= names(samples), EXPECTED - names(samples)
    for collector in ("broker", "workers", "content.drafts", "support.triage", "recommender.version"):
        assert value(samples, "ecomcms_metrics_collector_up", collector=collector) == 1.0, collector
    assert value(samples, "ecomcms_broker_up") == 1.0
    assert {labels for name, labels in samples if name == "ecomcms_queue_messages"} == {
        frozenset({("queue", q)}) for q in ("default", "generation", "training")}


@pytest.mark.django_db
def test_request_latency_is_labelled_by_url_pattern_not_by_path(client, token):
    before = scrape(client)
    client.get("/api/v1/products/no-such-product")
    client.get("/api/v1/products/another-missing-one")
    after = scrape(client)
    route = "api/v1/products/<slug:slug>"
    count = "ecomcms_http_request_duration_seconds_count"
    assert value(after, count, method="GET", route=route, status="404") - value(
        before, count, method="GET", route=route, status="404") == 2
    assert not any("no-such-product" in str(labels) for _, labels in after)


@pytest.mark.django_db
def test_drafts_by_status_follow_a_request_for_drafts(client, token):
    from content import services
    from tests.content.factories import make_product, make_user

    before = scrape(client)
    services.drafts_request(products=[make_product(), make_product()], kind="meta_description",
                            actor=make_user("Writers"))
    after = scrape(client)
    assert value(after, "ecomcms_drafts", status="queued") - value(before, "ecomcms_drafts", status="queued") == 2
    assert value(after, "ecomcms_drafts_oldest_queued_seconds") >= 0


@pytest.mark.django_db
def test_queue_depth_counts_a_message_sent_to_the_broker(client, token):
    from ecomcms.celery import app

    before = value(scrape(client), "ecomcms_queue_messages", queue="default")
    app.send_task("content.sweep", queue="default")
    try:
        deadline = time.monotonic() + 5
        while (after := value(scrape(client), "ecomcms_queue_messages", queue="default")) == before \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert after == before + 1
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.basic_get("default", no_ack=True)


@pytest.mark.django_db
def test_triage_latency_counts_a_triaged_ticket(client, token, fake_models):
    from support.models import Ticket, TriageStatus
    from tests.support.factories import make_ticket

    before = scrape(client)
    ticket, _ = make_ticket()
    waiting = "ecomcms_support_triage_waiting"
    assert value(scrape(client), waiting) == value(before, waiting) + 1
    Ticket.objects.filter(pk=ticket.pk).update(triage_status=TriageStatus.DONE,
                                               triaged_at=ticket.created_at + timedelta(seconds=42))
    after = scrape(client)
    name = "ecomcms_support_triage_latency_seconds"
    assert value(after, f"{name}_count") - value(before, f"{name}_count") == 1
    assert value(after, f"{name}_sum") - value(before, f"{name}_sum") == pytest.approx(42)
    assert value(after, f"{name}_bucket", le="30.0") == value(before, f"{name}_bucket", le="30.0")
    assert value(after, f"{name}_bucket", le="60.0") - value(before, f"{name}_bucket", le="60.0") == 1


@pytest.mark.django_db
def test_recommender_version_age_follows_the_active_version(client, token):
    from recommender.models import ModelVersion, VersionStatus

    assert value(scrape(client), "ecomcms_recommender_active_version") == 0
    trained = timezone.now() - timedelta(hours=30)
    version = ModelVersion.objects.create(name="nightly", status=VersionStatus.READY, artifact="v1.npz",
                                          trained_at=trained, is_active=True, activated_at=timezone.now())
    samples = scrape(client)
    assert value(samples, "ecomcms_recommender_active_version") == version.pk
    assert 30 * 3600 <= value(samples, "ecomcms_recommender_version_age_seconds") < 30 * 3600 + 60


@pytest.mark.django_db
def test_a_workers_batches_and_models_reach_the_scrape_through_its_heartbeat(client, token, fake_models):
    name = "generation@metrics-test"
    before = scrape(client)
    generator = inference.get_generator()
    results = generator.generate([ChatPrompt("Be brief.", "Say hello."), ChatPrompt("Be brief.", "Say bye.")],
                                 GenerationOptions(max_new_tokens=8))
    write_heartbeat(name=name, queues=["generation"], started_at=timezone.now())
    after = scrape(client)

    heartbeat = WorkerHeartbeat.objects.get(name=name)
    worker = {"worker": name, "pid": str(heartbeat.pid)}
    # The counters are this test process's (the "worker"), cumulative since it started.
    assert value(after, "ecomcms_generation_batch_size_count", **worker) >= 1
    assert value(after, "ecomcms_generation_batch_size_bucket", le="2.0", **worker) >= 1
    assert value(after, "ecomcms_generation_tokens_total", **worker) >= sum(r.tokens_out for r in results) > 0
    assert value(after, "ecomcms_generation_seconds_total", **worker) > 0
    assert value(before, "ecomcms_generation_tokens_total", **worker) == 0  # no heartbeat before: no series
    assert value(after, "ecomcms_model_workers", kind="text", state="ready") == \
        value(before, "ecomcms_model_workers", kind="text", state="ready") + 1
    assert value(after, "ecomcms_worker_processes", queue="generation") == \
        value(before, "ecomcms_worker_processes", queue="generation") + 1

    generator.generate([ChatPrompt("Be brief.", "Once more.")], GenerationOptions(max_new_tokens=8))
    write_heartbeat(name=name, queues=["generation"], started_at=timezone.now())
    again = scrape(client)
    assert value(again, "ecomcms_generation_batch_size_count", **worker) == \
        value(after, "ecomcms_generation_batch_size_count", **worker) + 1


@pytest.mark.django_db
def test_a_worker_gone_quiet_drops_out_of_the_scrape(client, token, settings):
    silent_since = timezone.now() - timedelta(seconds=settings.ECOMCMS_WORKER_HEARTBEAT_TIMEOUT + 5)
    WorkerHeartbeat.objects.create(name="default@gone", pid=4242, queues=["default"], loaded={},
                                   metrics=metrics.worker_snapshot(), started_at=timezone.now(), last_seen=silent_since)
    samples = scrape(client)
    assert not any(dict(labels).get("worker") == "default@gone" for _, labels in samples)


@pytest.mark.django_db
def test_a_failing_collector_is_reported_and_the_scrape_still_answers(client, token):
    @metrics.scrape_collector("test.broken")
    def broken():
        raise RuntimeError("database on fire")

    try:
        samples = scrape(client)
    finally:
        metrics._collectors.pop("test.broken")
    assert value(samples, "ecomcms_metrics_collector_up", collector="test.broken") == 0
    assert value(samples, "ecomcms_metrics_collector_up", collector="content.drafts") == 1


def test_a_malformed_heartbeat_snapshot_is_skipped():
    class Beat:
        name, pid = "w@h", 1
        metrics = [{"name": "bad name!", "type": "counter", "samples": []},
                   {"name": "ecomcms_x", "type": "counter", "samples": [["ecomcms_x_total", {}, "NaN?"]]},
                   {"name": "ecomcms_y", "type": "gauge", "samples": [["ecomcms_y", {}, 3]]}, "junk"]

    families = {family.name: family for family in metrics.worker_families([Beat()])}
    assert "bad name!" not in families
    assert [(s.name, s.labels, s.value) for s in families["ecomcms_y"].samples] == [
        ("ecomcms_y", {"worker": "w@h", "pid": "1"}, 3.0)]


def test_an_instrumented_generator_still_reaches_a_patched_class(monkeypatch):
    from ecomcms.inference.fake import FakeGenerator

    generator = FakeGenerator.__new__(FakeGenerator)
    metrics.instrument_generator(generator)
    monkeypatch.setattr(FakeGenerator, "generate", lambda self, prompts, options: ["patched"] * 0)
    before = metrics.GENERATION_BATCH_SIZE._sum.get()
    assert generator.generate([ChatPrompt("", "x")] * 3, GenerationOptions()) == []
    assert metrics.GENERATION_BATCH_SIZE._sum.get() == before + 3
    assert isinstance(generator, FakeGenerator)


MULTIPROCESS = r"""
import django
django.setup()
from django.test import Client
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families
from ecomcms.monitoring import metrics
from ecomcms.monitoring.middleware import REQUEST_SECONDS

REQUEST_SECONDS.labels("GET", "other/process", "200").observe(0.1)  # as another gunicorn process would
metrics.observe_generation_batch(prompts=2, tokens_out=10, seconds=1.0)  # never happens in a web process
body = b"".join(metrics.render()[0].splitlines(keepends=True)).decode()
families = [f.name for f in text_string_to_metric_families(body)]
assert len(families) == len(set(families)), families
assert "ecomcms_http_request_duration_seconds" in families, families
assert not any(name.startswith("ecomcms_generation") for name in families), families
print("OK")
"""


def test_multiprocess_mode_serves_the_request_histogram_once_and_no_web_copy_of_worker_metrics(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", MULTIPROCESS], cwd=Path(__file__).resolve().parents[2], env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0 and "OK" in run.stdout, run.stdout[-2000:] + run.stderr[-3000:]
    assert list(tmp_path.glob("*.db"))  # the numbers went through the folder
