"""Several generation worker processes on one queue: every draft generated exactly once.

Real `celery worker` processes on the configured broker and database (RabbitMQ and PostgreSQL
in CI, where claims use SELECT ... FOR UPDATE SKIP LOCKED); the model is a stand-in that records
every prompt it is given, because the behaviour under test is the claiming, not the text.
"""

import json
import os
import signal
import time
from collections import Counter

import pytest
from django.conf import settings

from content import services
from content.models import Draft, DraftEvent, DraftStatus
from ecomcms.models import WorkerHeartbeat
from tests.content.factories import make_product, make_user

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        settings.CELERY_BROKER_URL.startswith("filesystem"),
        reason="shown on a real broker: the embedded filesystem broker is for one worker on one machine "
               "(CI runs this on RabbitMQ and PostgreSQL)",
    ),
]

DRAFTS = 24  # 12 batches of 2 per round
BATCH = 2


def test_two_then_four_workers_on_one_queue_generate_each_draft_exactly_once(start_worker, settings, tmp_path):
    settings.ECOMCMS_GENERATION_BATCH_SIZE = BATCH
    writer = make_user("Writers")
    record = tmp_path / "generated.jsonl"
    record.touch()
    env = {"ECOMCMS_TEXT_BACKEND": "tests.fakes.RecordingFakeGenerator",
           "ECOMCMS_EMBEDDING_BACKEND": "ecomcms.inference.fake.FakeEmbedder",
           "ECOMCMS_GENERATION_BATCH_SIZE": str(BATCH), "ECOMCMS_TEST_GENERATION_LOG": str(record)}
    started = []
    for workers in (2, 4):  # two workers, then two more on the same queue
        started += [start_worker("generation", **env) for _ in range(workers - len(started))]
        ready = WorkerHeartbeat.objects.filter(loaded__text__status="ready")
        wait_until(lambda: ready.count() == workers, started)  # noqa: B023 (waited for in this round)

        products = [make_product() for _ in range(DRAFTS)]
        services.drafts_request(products=products, kind="meta_description", actor=writer)  # a free-generation template
        in_review = Draft.objects.filter(product__in=products, status=DraftStatus.IN_REVIEW)
        wait_until(lambda: in_review.count() == DRAFTS, started)  # noqa: B023 (waited for in this round)

        # The model saw each product's prompt once: no draft was generated twice, by one worker or two.
        lines = [json.loads(line) for line in record.read_text().splitlines()]
        ours = [
            (p.title, line["pid"]) for p in products for line in lines if f"Title: {p.title}\n" in line["user"] + "\n"
        ]
        assert Counter(title for title, _ in ours) == Counter({p.title: 1 for p in products}), workers
        # One claim and one result per draft in the history.
        for to_status in (DraftStatus.GENERATING, DraftStatus.IN_REVIEW):
            events = DraftEvent.objects.filter(draft__product__in=products, to_status=to_status)
            assert sorted(Counter(events.values_list("draft_id", flat=True)).values()) == [1] * DRAFTS, to_status
        # The work was shared: every worker process generated some of it.
        assert len({pid for _, pid in ours}) == workers
        assert Draft.objects.filter(product__in=products).values("worker").distinct().count() == workers
    assert len(record.read_text().splitlines()) == 2 * DRAFTS  # nothing generated twice across the rounds
    for worker in started:  # all work is done: no need for a warm shutdown
        os.killpg(worker.process.pid, signal.SIGKILL)


def wait_until(condition, workers, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for worker in workers:
            if worker.process.poll() is not None:
                raise RuntimeError(f"a worker exited with {worker.process.returncode}:\n{worker.log()[-3000:]}")
        time.sleep(0.3)
    raise TimeoutError("timed out:\n" + "\n---\n".join(w.log()[-1500:] for w in workers))
