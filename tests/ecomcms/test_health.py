"""/healthz answers 503 with the reason when a part is not ready."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ecomcms.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def beat(name="w1", queues=("generation", "default"), loaded=None, age_seconds=0):
    now = timezone.now() - timedelta(seconds=age_seconds)
    return WorkerHeartbeat.objects.create(
        name=name, pid=1, queues=list(queues), loaded=loaded or {}, started_at=now, last_seen=now
    )


READY = {
    "text": {"status": "ready", "model_id": "m", "load_seconds": 1.0},
    "embeddings": {"status": "ready", "model_id": "e", "load_seconds": 0.1},
}


def test_without_a_worker_healthz_is_503_and_says_to_start_one(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"]["status"] == "ready"
    assert body["broker"]["status"] == "ready"
    assert body["models"]["text"]["status"] == "waiting"
    assert "no live worker" in body["models"]["text"]["error"]


def test_a_fresh_worker_with_loaded_models_makes_healthz_200(client):
    beat(loaded=READY)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_silent_worker_does_not_count(client):
    beat(loaded=READY, age_seconds=600)

    assert client.get("/healthz").status_code == 503


def test_a_worker_still_loading_is_reported_as_loading(client):
    beat(loaded={})

    body = client.get("/healthz").json()

    assert body["models"]["text"]["error"] == "a worker is loading the model"


def test_an_unreachable_broker_is_503_with_the_error(client, monkeypatch):
    from ecomcms.celery import app

    beat(loaded=READY)
    unreachable = "amqp://guest:guest@127.0.0.1:1//"
    original = app.conf.broker_url  # read before the variable changes: Celery prefers the variable
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    app.conf.broker_url = unreachable
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original

    assert response.status_code == 503
    assert response.json()["broker"]["status"] == "error"


def test_a_missing_model_is_named(client, settings):
    beat(loaded=READY)
    settings.ECOMCMS_TEXT_MODEL = "/nonexistent/folder"

    body = client.get("/healthz").json()

    assert body["models"]["text"]["status"] == "error"
    assert "ECOMCMS_TEXT_MODEL" in body["models"]["text"]["error"]


def test_anonymous_callers_do_not_see_worker_hosts_and_pids_staff_do(client, django_user_model):
    beat(name="generation@db-host-7", loaded=READY)

    anonymous = client.get("/healthz").content.decode()
    client.force_login(django_user_model.objects.create_user("ops", is_staff=True))
    staff = client.get("/healthz").json()

    assert "db-host-7" not in anonymous and "pid" not in anonymous
    assert staff["models"]["text"]["worker"] == "generation@db-host-7 pid 1"


def test_readiness_is_also_at_healthz_ready(client):
    beat(loaded=READY)

    response = client.get("/healthz/ready")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert "worker" not in response.json()["models"]["text"]


def test_liveness_is_200_while_no_worker_is_ready_and_reads_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.get("/healthz/ready").status_code == 503
