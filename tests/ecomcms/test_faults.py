"""Faults around a real worker process: a database restart, a model that will not load, a batch that errors.

The worker is a real `celery worker` on the configured broker and the test
database; after each fault it must go on serving work without a manual restart.
"""

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from content import services as content
from content.models import Draft, DraftStatus
from ecomcms.models import WorkerHeartbeat
from support import services as support
from support.models import Ticket, TriageStatus
from tests.content.factories import make_product, make_user
from tests.support.factories import make_taxonomy

pytestmark = pytest.mark.worker

FAKE_MODELS = {"ECOMCMS_TEXT_BACKEND": "ecomcms.inference.fake.FakeGenerator",
               "ECOMCMS_EMBEDDING_BACKEND": "ecomcms.inference.fake.FakeEmbedder"}


def wait_for(predicate, timeout, worker, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n" + worker.log()[-5000:])


def drafts_in(status, drafts) -> bool:
    return Draft.objects.filter(pk__in=[d.pk for d in drafts], status=status).count() == len(drafts)


def restart_postgresql() -> None:
    version = next(Path("/etc/postgresql").iterdir()).name
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
                   check=True, capture_output=True, timeout=120)


def local_postgresql() -> bool:
    settings_dict = connection.settings_dict
    return (settings_dict["ENGINE"].endswith("postgresql") and settings_dict.get("HOST") in ("127.0.0.1", "localhost")
            and shutil.which("pg_ctlcluster") is not None and Path("/etc/postgresql").is_dir())


@pytest.mark.django_db(transaction=True)
def test_the_worker_recovers_from_a_database_restart_without_a_manual_restart(start_worker, client):
    if not local_postgresql():
        pytest.skip("needs the local PostgreSQL server and pg_ctlcluster to restart it (CI runs this)")
    writer = make_user("Writers")
    make_taxonomy()
    worker = start_worker("generation,default", **FAKE_MODELS)
    job = content.drafts_request(products=[make_product(), make_product()], kind="description", actor=writer)
    before = list(Draft.objects.filter(job=job))
    wait_for(lambda: drafts_in(DraftStatus.IN_REVIEW, before), 120, worker, "drafts before the restart")

    restart_postgresql()
    restarted_at = timezone.now()
    connection.close()  # this test's own connection died with the server, like the worker's

    job = content.drafts_request(products=[make_product(), make_product()], kind="description", actor=writer)
    after = list(Draft.objects.filter(job=job))
    ticket, _ = support.ticket_create(email="anna@example.com", subject="Where is my parcel?",
                                      body="Hi, my package has not arrived.")
    wait_for(lambda: drafts_in(DraftStatus.IN_REVIEW, after), 120, worker, "drafts after the restart")
    wait_for(lambda: Ticket.objects.get(pk=ticket.pk).triage_status == TriageStatus.DONE, 120, worker, "triage")
    wait_for(lambda: WorkerHeartbeat.objects.filter(last_seen__gt=restarted_at).exists(), 60, worker, "a heartbeat")
    assert worker.process.poll() is None  # the same worker process, never restarted
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_model_that_cannot_load_fails_drafts_with_the_reason_and_the_worker_keeps_serving(start_worker, client):
    writer = make_user("Writers")
    make_taxonomy()
    worker = start_worker("generation,default", ECOMCMS_TEXT_MODEL="/nonexistent/model-folder",
                          ECOMCMS_EMBEDDING_BACKEND="ecomcms.inference.fake.FakeEmbedder")

    job = content.drafts_request(products=[make_product(), make_product()], kind="description", actor=writer)
    drafts = list(Draft.objects.filter(job=job))
    wait_for(lambda: drafts_in(DraftStatus.FAILED, drafts), 120, worker, "the drafts to fail")
    for draft in Draft.objects.filter(job=job):
        assert "/nonexistent/model-folder" in draft.failure_reason or "ECOMCMS_TEXT_MODEL" in draft.failure_reason

    ticket, _ = support.ticket_create(email="anna@example.com", subject="Where is my parcel?",
                                      body="Hi, my package has not arrived.")
    wait_for(lambda: Ticket.objects.get(pk=ticket.pk).triage_status == TriageStatus.DONE, 120, worker,
             "the same worker to triage a ticket")
    assert worker.process.poll() is None

    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503, body
    assert body["models"]["text"]["status"] == "error"
    assert "ECOMCMS_TEXT_MODEL" in body["models"]["text"]["error"]
    assert body["models"]["embeddings"]["status"] == "ready"


@pytest.mark.django_db(transaction=True)
def test_a_batch_the_model_errors_on_fails_with_the_reason_and_the_next_batch_is_written(start_worker):
    writer = make_user("Writers")
    worker = start_worker("generation", ECOMCMS_TEXT_BACKEND="tests.fakes.PoisonedFakeGenerator",
                          ECOMCMS_EMBEDDING_BACKEND="ecomcms.inference.fake.FakeEmbedder",
                          ECOMCMS_GENERATION_BATCH_SIZE="1")
    # Meta descriptions: their built-in template lets the model write (descriptions are planned, the model only scores).
    poisoned = content.drafts_request(products=[make_product(title="POISON jumper")], kind="meta_description",
                                      actor=writer)
    healthy = content.drafts_request(products=[make_product(title="Linen shirt")], kind="meta_description",
                                     actor=writer)

    bad, good = Draft.objects.get(job=poisoned), Draft.objects.get(job=healthy)
    wait_for(lambda: drafts_in(DraftStatus.FAILED, [bad]) and drafts_in(DraftStatus.IN_REVIEW, [good]), 120, worker,
             "one draft failed and one in review")
    bad.refresh_from_db()
    assert "probability tensor contains nan" in bad.failure_reason
    assert worker.process.poll() is None
