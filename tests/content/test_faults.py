"""A generation worker killed with SIGKILL mid-batch, again and again: no draft lost, none duplicated.

A real worker process on the configured broker and database; the model is a slow
stand-in because the behaviour under test is the queue, the leases and the sweeper.
"""

import os
import signal
import time

import psutil
import pytest
from django.conf import settings

from content import services
from content.models import Draft, DraftEvent, DraftStatus
from tests.content.factories import make_product, make_user

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        settings.CELERY_BROKER_URL.startswith("filesystem"),
        reason="the embedded filesystem broker neither redelivers a killed worker's message nor recovers its prefetch "
               "window; the guarantee holds on RabbitMQ and Redis (CI runs this on RabbitMQ)",
    ),
]

KILLS = 3
DRAFTS = 6


def pool_children(worker) -> list[psutil.Process]:
    return psutil.Process(worker.process.pid).children()


def test_every_draft_ends_in_review_exactly_once_despite_repeated_sigkills(start_worker, settings):  # noqa: F811
    settings.ECOMCMS_GENERATION_BATCH_SIZE = 2
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 6
    writer = make_user("Writers")
    worker = start_worker("generation", ECOMCMS_TEXT_BACKEND="tests.fakes.SlowFakeGenerator",
                          ECOMCMS_EMBEDDING_BACKEND="ecomcms.inference.fake.FakeEmbedder",
                          ECOMCMS_GENERATION_BATCH_SIZE="2")
    services.drafts_request(products=[make_product() for _ in range(DRAFTS)], kind="description", actor=writer)

    kills, killed_claims = 0, set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        claims = set(Draft.objects.filter(status=DraftStatus.GENERATING).values_list("claimed_at", flat=True))
        if kills < KILLS and claims - killed_claims and pool_children(worker):
            time.sleep(1)  # inside the batch (it takes 3 s)
            for child in pool_children(worker):
                os.kill(child.pid, signal.SIGKILL)
            killed_claims |= claims
            kills += 1
        services.drafts_sweep()  # what Celery beat runs every minute
        if kills == KILLS and Draft.objects.filter(status=DraftStatus.IN_REVIEW).count() == DRAFTS:
            break
        time.sleep(0.5)

    assert kills == KILLS, worker.log()[-3000:]
    assert Draft.objects.count() == DRAFTS
    assert sorted(Draft.objects.values_list("status", flat=True)) == [DraftStatus.IN_REVIEW] * DRAFTS, worker.log()[
        -3000:
    ]
    for draft in Draft.objects.all():
        assert DraftEvent.objects.filter(draft=draft, to_status=DraftStatus.IN_REVIEW).count() == 1
    lost = DraftEvent.objects.filter(comment__startswith="claim expired").count()
    assert lost >= 1  # the kills really cost claims that the sweeper recovered
