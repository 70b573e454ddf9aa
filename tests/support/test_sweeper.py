"""Lost workers and lost messages: the support sweeper returns their work to the queue, bounded by attempts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ecomcms import queueing
from support import services
from support.models import ReplySuggestion, Ticket, TicketEvent, TriageStatus
from tests.support.factories import make_taxonomy, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Tasks the services send (all through ecomcms.queueing), recorded instead of going to the broker."""
    calls = []

    def send(task, args=(), **options):
        calls.append((task.name.removeprefix("support."), *args))
        return True

    monkeypatch.setattr(queueing, "send", send)
    return calls


def running_ticket(*, minutes_ago: float, attempts: int = 1) -> Ticket:
    ticket, _ = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(triage_status=TriageStatus.RUNNING, triage_attempts=attempts,
                                               triage_claimed_at=timezone.now() - timedelta(minutes=minutes_ago))
    return Ticket.objects.get(pk=ticket.pk)


def test_an_expired_triage_claim_goes_back_to_pending_and_is_sent_again(
    settings, sent, django_capture_on_commit_callbacks
):
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 60
    ticket = running_ticket(minutes_ago=5)

    with django_capture_on_commit_callbacks(execute=True):
        counts = services.support_sweep()

    ticket.refresh_from_db()
    assert counts["triage_requeued"] == 1 and ticket.triage_status == TriageStatus.PENDING
    assert ("triage_ticket", ticket.pk) in sent
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.TRIAGE_REQUEUED)
    assert "worker was lost" in event.comment


def test_a_fresh_triage_claim_is_left_alone(settings, sent):
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 600
    ticket = running_ticket(minutes_ago=1)

    counts = services.support_sweep()

    ticket.refresh_from_db()
    assert ticket.triage_status == TriageStatus.RUNNING and counts["triage_requeued"] == 0 and sent == []


def test_a_ticket_whose_triage_workers_keep_dying_fails_and_asks_for_a_person(settings, sent):
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 60
    ticket = running_ticket(minutes_ago=5, attempts=services.MAX_ATTEMPTS)

    counts = services.support_sweep()

    ticket.refresh_from_db()
    assert counts["triage_failed"] == 1
    assert ticket.triage_status == TriageStatus.FAILED and ticket.needs_human_triage
    assert "worker stopped while triaging" in ticket.triage_error
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TRIAGE_FAILED).count() == 1
    assert sent == []


def test_a_lost_workers_late_triage_result_is_dropped_after_the_claim_was_taken_over(settings, sent, fake_models):
    make_taxonomy()
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 60
    ticket = running_ticket(minutes_ago=5)
    services.support_sweep()  # the claim expired: pending again, then claimed by a healthy worker
    services.ticket_triage(ticket.pk)
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TRIAGED).count() == 1

    assert services.ticket_triage(ticket.pk) is None  # a redelivered copy of the task changes nothing
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TRIAGED).count() == 1
    assert ReplySuggestion.objects.filter(ticket=ticket).count() == 1


def test_an_expired_suggestion_claim_is_requeued_then_fails_after_the_last_attempt(settings, sent):
    settings.ECOMCMS_GENERATION_LEASE_SECONDS = 60
    ticket, _ = make_ticket()
    suggestion = ReplySuggestion.objects.create(ticket=ticket, status=ReplySuggestion.Status.GENERATING, attempts=1,
                                                claimed_at=timezone.now() - timedelta(minutes=5))

    assert services.support_sweep()["suggestions_requeued"] == 1
    suggestion.refresh_from_db()
    assert suggestion.status == ReplySuggestion.Status.PENDING and ("suggest_reply", suggestion.pk) in sent

    ReplySuggestion.objects.filter(pk=suggestion.pk).update(status=ReplySuggestion.Status.GENERATING,
                                                            attempts=services.MAX_ATTEMPTS,
                                                            claimed_at=timezone.now() - timedelta(minutes=5))
    assert services.support_sweep()["suggestions_failed"] == 1
    suggestion.refresh_from_db()
    assert suggestion.status == ReplySuggestion.Status.FAILED
    assert "worker stopped" in suggestion.failure_reason


def test_work_pending_for_over_a_minute_is_sent_again(sent):
    ticket, _ = make_ticket()
    suggestion = ReplySuggestion.objects.create(ticket=ticket)

    assert services.support_sweep() == dict.fromkeys(services.support_sweep(), 0)  # too young to be lost
    counts = services.support_sweep(now=timezone.now() + timedelta(minutes=2))

    assert counts["triage_sent"] == 1 and counts["suggestions_sent"] == 1
    assert ("triage_ticket", ticket.pk) in sent and ("suggest_reply", suggestion.pk) in sent


@pytest.mark.django_db(transaction=True)
def test_a_ticket_posted_while_the_broker_is_down_is_kept_and_triaged_once_it_is_back(broker_down, fake_models):
    make_taxonomy()

    response = APIClient().post("/api/v1/tickets", {
        "email": "anna@example.com", "name": "Anna Becker", "subject": "Where is my parcel?",
        "message": "Hi, my package has not arrived yet.",
    }, format="json")

    assert response.status_code == 201, response.content  # the customer is not turned away
    ticket = Ticket.objects.get(public_id=response.json()["id"])
    assert ticket.triage_status == TriageStatus.PENDING and ticket.messages.count() == 1

    broker_down()  # the broker is back: the next sweep sends the triage task
    counts = services.support_sweep(now=timezone.now() + timedelta(minutes=2))
    assert counts["triage_sent"] == 1

    services.ticket_triage(ticket.pk)  # what the worker does with it
    ticket.refresh_from_db()
    assert ticket.triage_status == TriageStatus.DONE and ticket.intent == "track_order"
