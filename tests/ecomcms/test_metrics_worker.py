"""A real worker process's generation metrics reach /metrics of the web process through its heartbeat."""

from __future__ import annotations

import time

import pytest

from content import services
from tests.content.factories import make_product, make_user
from tests.ecomcms.test_metrics import AUTH, TOKEN, scrape

pytestmark = [pytest.mark.worker]


def test_a_worker_processs_batches_show_in_the_web_processs_scrape(start_worker, client, settings):
    settings.METRICS_TOKEN = TOKEN
    worker = start_worker("generation", ECOMCMS_TEXT_BACKEND="ecomcms.inference.fake.FakeGenerator",
                          ECOMCMS_EMBEDDING_BACKEND="ecomcms.inference.fake.FakeEmbedder",
                          ECOMCMS_WORKER_HEARTBEAT_SECONDS="1", ECOMCMS_GENERATION_BATCH_SIZE="3")
    worker.wait_for_models(["text", "embeddings"], timeout=120)
    # Meta descriptions are written freely by the model (descriptions are planned: the model only scores).
    services.drafts_request(products=[make_product() for _ in range(3)], kind="meta_description",
                            actor=make_user("Writers"))

    deadline, tokens = time.monotonic() + 120, {}
    while time.monotonic() < deadline:
        samples = scrape(client, **AUTH)
        tokens = {dict(labels)["worker"]: v for (name, labels), v in samples.items()
                  if name == "ecomcms_generation_tokens_total"}
        if any(v > 0 for v in tokens.values()):
            break
        time.sleep(0.5)
    assert any(v > 0 for v in tokens.values()), worker.log()[-3000:]
    (worker_name,) = tokens
    batches = {labels: v for (name, labels), v in samples.items() if name == "ecomcms_generation_batch_size_count"}
    assert sum(batches.values()) >= 1
    assert all(dict(labels)["worker"] == worker_name for labels in batches)
    assert samples[("ecomcms_model_workers", frozenset({("kind", "text"), ("state", "ready")}))] >= 1
