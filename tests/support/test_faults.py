"""A triage worker killed with SIGKILL mid-ticket, again and again: every ticket triaged exactly once.

A real worker process on the configured broker and database; the embedder is a
slow stand-in because the behaviour under test is the queue, the claims and the
sweeper, not the model.
"""

import os
import signal
import time

import psutil
import pytest
from django.conf import settings

from support import services
from support.models import ReplySuggestion, Ticket, TicketEvent, TriageStatus
from tests.support.factories import make_taxonomy

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        settings.CELERY_BROKER_URL.startswith("filesystem"),
        reason="the embedded filesystem broker does not redeliver a killed worker's message; "
               "the guarantee holds on RabbitMQ and Redis (CI runs this on RabbitMQ)",
    ),
]

KILLS = 3
TICKETS = 5


def test_every_ticket_is_triaged_exactly_once_despite_repeated_sigkills(start_worker, settings):
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 8
    make_taxonomy()
    worker = start_worker("default", ECOMCMS_EMBEDDING_BACKEND="tests.fakes.SlowFakeEmbedder",
                          ECOMCMS_TEXT_BACKEND="ecomcms.inference.fake.FakeGenerator")
    tickets = [services.ticket_create(email=f"customer{n}@example.com", name=f"Customer {n}",
                                      subject="Where is my parcel?", body=f"Hi, my package {n} has not arrived.")[0]
               for n in range(TICKETS)]

    kills, killed_claims = 0, set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        claims = set(
            Ticket.objects.filter(triage_status=TriageStatus.RUNNING).values_list("triage_claimed_at", flat=True)
        )
        children = psutil.Process(worker.process.pid).children()
        if kills < KILLS and claims - killed_claims and children:
            time.sleep(0.5)  # inside the triage (each embedding takes 2 s)
            for child in children:
                os.kill(child.pid, signal.SIGKILL)
            killed_claims |= claims
            kills += 1
        services.support_sweep()  # what Celery beat runs every minute
        if kills == KILLS and Ticket.objects.filter(triage_status=TriageStatus.DONE).count() == TICKETS:
            break
        time.sleep(0.5)

    log = worker.log()[-3000:]
    assert kills == KILLS, log
    assert sorted(Ticket.objects.values_list("triage_status", flat=True)) == [TriageStatus.DONE] * TICKETS, log
    for ticket in tickets:
        assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TRIAGED).count() == 1
        assert ReplySuggestion.objects.filter(ticket=ticket).count() == 1  # one suggested reply queued, not two
        assert ticket.messages.count() == 1
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.TRIAGE_REQUEUED).count() >= 1  # the kills cost claims
