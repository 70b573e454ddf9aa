"""The support services: tickets, transitions, assignment, overrides, decisions, email, SLA, rates."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core import mail
from django.utils import timezone

from support import selectors, services
from support.intent_finetuning import intent_labels
from support.models import (
    Confidence,
    IntentLabel,
    Message,
    Queue,
    ReplySuggestion,
    SetBy,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tests.support.factories import make_agent, make_taxonomy, make_ticket

pytestmark = pytest.mark.django_db


def ready_suggestion(ticket: Ticket, text: str = "Hello Anna, it is on its way.") -> ReplySuggestion:
    return ReplySuggestion.objects.create(ticket=ticket, status=ReplySuggestion.Status.READY, text=text,
                                          redacted_text=text, model_id="test")


# --- creating tickets -----------------------------------------------------------------------------

def test_creating_a_ticket_stores_the_message_redacted_and_the_token_hashed_and_queues_triage(
        django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("support.tasks.triage_ticket.apply_async", lambda args, **options: queued.append(*args))

    with django_capture_on_commit_callbacks(execute=True):
        ticket, token = services.ticket_create(
            email="anna@example.com", name="Anna Becker", subject="Parcel for anna@example.com",
            body="Hi, call me on +44 20 7946 0958 or write to anna.b@example.org. Thanks, Anna")

    message = ticket.messages.get()
    assert message.body == "Hi, call me on +44 20 7946 0958 or write to anna.b@example.org. Thanks, Anna"
    assert message.redacted_body == "Hi, call me on [PHONE_1] or write to [EMAIL_1]. Thanks, [NAME_1]"
    assert message.redactions == {
        "[PHONE_1]": "+44 20 7946 0958",
        "[EMAIL_1]": "anna.b@example.org",
        "[NAME_1]": "Anna",
    }
    assert ticket.redacted_subject == "Parcel for [EMAIL_1]"
    assert ticket.redactions == {"[EMAIL_1]": "anna@example.com", "[NAME_1]": "Anna Becker"}
    assert ticket.access_token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert len(token) >= 32 and token not in str(Ticket.objects.filter(pk=ticket.pk).values().get())
    assert queued == [ticket.pk]
    assert ticket.status == TicketStatus.NEW and ticket.public_id.startswith("T-")
    assert list(ticket.events.values_list("kind", flat=True)) == [TicketEvent.Kind.CREATED]


def test_sla_due_times_come_from_the_default_queue():
    Queue.objects.filter(is_default=True).update(first_response_hours=2, resolution_hours=10)
    created = timezone.now() - timedelta(minutes=5)

    ticket, _ = make_ticket(created_at=created)

    assert ticket.queue.is_default
    assert ticket.first_response_due == created + timedelta(hours=2)
    assert ticket.resolution_due == created + timedelta(hours=10)


@pytest.mark.parametrize("fields, message", [
    ({"email": "not-an-email"}, "the email address is not valid"),
    ({"subject": "   "}, "the subject is empty"),
    ({"body": ""}, "the message is empty"),
    ({"body": "x" * 20_001}, "the message is longer than 20000 characters"),
])
def test_a_bad_ticket_is_refused_and_nothing_is_stored(fields, message):
    with pytest.raises(services.SupportError, match=message):
        make_ticket(**fields)

    assert Ticket.objects.count() == 0 and Message.objects.count() == 0


def test_the_access_token_opens_only_its_own_ticket():
    ticket, token = make_ticket()
    other, other_token = make_ticket()

    assert services.ticket_authenticate(public_id=ticket.public_id, token=token) == ticket
    assert services.ticket_authenticate(public_id=ticket.public_id, token=other_token) is None
    assert services.ticket_authenticate(public_id=ticket.public_id, token="") is None
    assert services.ticket_authenticate(public_id="T-NOPE0000", token=token) is None


# --- status transitions ---------------------------------------------------------------------------

ALLOWED = [(a, b) for a, targets in services.TRANSITIONS.items() for b in targets]
REFUSED = [(a, b) for a in TicketStatus.values for b in TicketStatus.values
           if a != b and b not in services.TRANSITIONS[a]]


def test_the_transition_map_is_what_the_docs_say():
    assert services.TRANSITIONS == {
        "new": {"open", "waiting", "solved", "closed"},
        "open": {"waiting", "solved", "closed"},
        "waiting": {"open", "solved", "closed"},
        "solved": {"open", "closed"},
        "closed": set(),
    }
    assert sorted(REFUSED) == [("closed", "new"), ("closed", "open"), ("closed", "solved"), ("closed", "waiting"),
                               ("open", "new"), ("solved", "new"), ("solved", "waiting"), ("waiting", "new")]


@pytest.mark.parametrize("from_status, to_status", ALLOWED)
def test_an_allowed_transition_changes_the_status_and_is_recorded(from_status, to_status, agent):
    ticket, _ = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=from_status)

    changed = services.ticket_transition(ticket=ticket, to_status=to_status, actor=agent, comment="why not")

    assert changed.status == to_status
    event = changed.events.get(kind=TicketEvent.Kind.STATUS)
    assert (event.actor, event.from_value, event.to_value, event.comment) == (agent, from_status, to_status, "why not")
    assert (changed.resolved_at is not None) == (to_status in ("solved", "closed"))


@pytest.mark.parametrize("from_status, to_status", REFUSED)
def test_a_refused_transition_changes_nothing(from_status, to_status, agent):
    ticket, _ = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=from_status)
    before = Ticket.objects.values().get(pk=ticket.pk)

    with pytest.raises(services.StateError, match="cannot move a ticket from"):
        services.ticket_transition(ticket=ticket, to_status=to_status, actor=agent)

    assert Ticket.objects.values().get(pk=ticket.pk) == before
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.STATUS).exists()


def test_a_person_without_the_permission_cannot_move_a_ticket(outsider):
    ticket, _ = make_ticket()

    with pytest.raises(services.NotAllowed):
        services.ticket_transition(ticket=ticket, to_status=TicketStatus.OPEN, actor=outsider)

    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEW


def test_reopening_a_solved_ticket_clears_its_resolution_time(agent):
    ticket, _ = make_ticket()
    services.ticket_transition(ticket=ticket, to_status=TicketStatus.SOLVED, actor=agent)

    reopened = services.ticket_transition(ticket=ticket, to_status=TicketStatus.OPEN, actor=agent)

    assert reopened.resolved_at is None


# --- assignment -----------------------------------------------------------------------------------

def test_bulk_assignment_changes_each_ticket_once_and_records_it(agent):
    colleague = make_agent()
    tickets = [make_ticket()[0] for _ in range(3)]
    services.ticket_assign(tickets=tickets[:1], assignee=colleague, actor=agent)

    changed = services.ticket_assign(tickets=tickets, assignee=colleague, actor=agent)

    assert changed == 2
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {colleague.pk}
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNED).count() == 3


def test_tickets_cannot_be_assigned_to_someone_who_does_not_handle_tickets(agent, outsider):
    ticket, _ = make_ticket()

    with pytest.raises(services.SupportError, match="cannot handle tickets"):
        services.ticket_assign(tickets=[ticket], assignee=outsider, actor=agent)

    assert Ticket.objects.get(pk=ticket.pk).assignee is None


# --- overrides become labels ----------------------------------------------------------------------

def test_a_staff_intent_override_becomes_a_training_label_and_routes_the_ticket(agent):
    intents = make_taxonomy()
    ticket, _ = make_ticket(subject="Parcel for anna@example.com")
    Ticket.objects.filter(pk=ticket.pk).update(intent="get_refund", intent_confidence=Confidence.LOW,
                                               intent_set_by=SetBy.MODEL, needs_human_triage=True)

    changed = services.ticket_override_prediction(ticket=ticket, field="intent", value="track_order", actor=agent)

    assert (changed.intent, changed.intent_confidence, changed.intent_set_by) == ("track_order", "high", "staff")
    assert not changed.needs_human_triage
    assert (changed.category, changed.category_set_by) == ("ORDER", "staff")
    assert changed.queue == intents["track_order"].queue
    label = IntentLabel.objects.get()
    assert (label.ticket, label.intent, label.source, label.created_by) == (changed, "track_order", "staff", agent)
    assert label.text == "Parcel for [EMAIL_1]\nHi, where is my parcel? It has not arrived."  # redacted
    event = changed.events.get(kind=TicketEvent.Kind.OVERRIDE)
    assert (event.from_value, event.to_value, event.comment) == ("get_refund", "track_order", "intent")


def test_overriding_other_predictions_writes_no_label(agent):
    ticket, _ = make_ticket()

    services.ticket_override_prediction(ticket=ticket, field="priority", value="urgent", actor=agent)
    services.ticket_override_prediction(ticket=ticket, field="sentiment", value="negative", actor=agent)

    ticket.refresh_from_db()
    assert (ticket.priority, ticket.priority_set_by, ticket.sentiment, ticket.sentiment_set_by) == (
        "urgent", "staff", "negative", "staff")
    assert not IntentLabel.objects.exists()


@pytest.mark.parametrize("field, value, message", [
    ("intent", "made_up", "unknown intent"), ("priority", "asap", "priority must be one of"),
    ("sentiment", "meh", "sentiment must be one of"), ("language", "english!", "language must be a code"),
    ("status", "open", "unknown prediction"),
])
def test_a_bad_override_is_refused_and_changes_nothing(agent, field, value, message):
    make_taxonomy()
    ticket, _ = make_ticket()
    before = Ticket.objects.values().get(pk=ticket.pk)

    with pytest.raises(services.SupportError, match=message):
        services.ticket_override_prediction(ticket=ticket, field=field, value=value, actor=agent)

    assert Ticket.objects.values().get(pk=ticket.pk) == before and not IntentLabel.objects.exists()


def test_training_labels_keep_only_the_latest_label_of_each_ticket(agent):
    make_taxonomy()
    ticket, _ = make_ticket()
    services.ticket_override_prediction(ticket=ticket, field="intent", value="get_refund", actor=agent)
    services.ticket_override_prediction(ticket=ticket, field="intent", value="track_order", actor=agent)
    services.intent_labels_import(rows=[("refund please", "get_refund")])

    labels = intent_labels()

    assert sorted((item.intent, item.source) for item in labels) == [("get_refund", "import"), ("track_order", "staff")]


# --- deciding on suggestions ----------------------------------------------------------------------

def test_accepting_a_suggestion_emails_the_customer_and_adds_it_to_the_thread(agent):
    ticket, _ = make_ticket()
    suggestion = ready_suggestion(ticket)

    decided = services.suggestion_accept(suggestion=suggestion, actor=agent)

    assert (decided.decision, decided.decided_by, decided.sent_text) == (
        "accepted",
        agent,
        "Hello Anna, it is on its way.",
    )
    assert decided.decided_at is not None
    [email] = mail.outbox
    assert email.to == ["anna@example.com"]
    assert email.subject == f"Re: Where is my parcel? [{ticket.public_id}]"
    assert email.body.startswith("Hello Anna, it is on its way.\n\n--\n")
    reply = ticket.messages.get(author_kind=Message.Author.STAFF)
    assert (reply.body, reply.author, reply.suggestion, reply.emailed_at is not None) == (
        "Hello Anna, it is on its way.", agent, decided, True)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert ticket.first_responded_at == reply.created_at and not ticket.first_response_breached


def test_edit_and_send_sends_the_edit_and_keeps_the_suggestion(agent):
    ticket, _ = make_ticket()
    suggestion = ready_suggestion(ticket)

    decided = services.suggestion_edit_and_send(suggestion=suggestion, actor=agent, text="Hi Anna, it arrives Friday.",
                                                status_after=TicketStatus.SOLVED)

    assert (decided.decision, decided.text, decided.sent_text) == (
        "edited", "Hello Anna, it is on its way.", "Hi Anna, it arrives Friday.")
    assert mail.outbox[0].body.startswith("Hi Anna, it arrives Friday.")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.SOLVED


def test_an_unchanged_edit_counts_as_accepted(agent):
    ticket, _ = make_ticket()

    decided = services.suggestion_edit_and_send(suggestion=ready_suggestion(ticket), actor=agent,
                                                text="  Hello Anna,  it is on its way. ")

    assert decided.decision == "accepted"


def test_rejecting_needs_a_reason_and_sends_nothing(agent):
    ticket, _ = make_ticket()
    suggestion = ready_suggestion(ticket)

    with pytest.raises(services.SupportError, match="a reason is required"):
        services.suggestion_reject(suggestion=suggestion, actor=agent, reason="  ")
    decided = services.suggestion_reject(suggestion=suggestion, actor=agent, reason="wrong article")

    assert (decided.decision, decided.reject_reason, decided.sent_text) == ("rejected", "wrong article", "")
    assert mail.outbox == [] and not ticket.messages.filter(author_kind=Message.Author.STAFF).exists()
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is None


def test_a_suggestion_is_decided_once(agent):
    ticket, _ = make_ticket()
    suggestion = ready_suggestion(ticket)
    services.suggestion_accept(suggestion=suggestion, actor=agent)

    with pytest.raises(services.StateError, match="already accepted"):
        services.suggestion_accept(suggestion=suggestion, actor=make_agent())
    with pytest.raises(services.StateError, match="already accepted"):
        services.suggestion_reject(suggestion=suggestion, actor=agent, reason="late")

    assert len(mail.outbox) == 1 and ticket.messages.filter(author_kind=Message.Author.STAFF).count() == 1


def test_a_suggestion_still_generating_cannot_be_sent(agent):
    ticket, _ = make_ticket()
    suggestion = ReplySuggestion.objects.create(ticket=ticket, status=ReplySuggestion.Status.GENERATING)

    with pytest.raises(services.StateError, match="is generating, not ready"):
        services.suggestion_accept(suggestion=suggestion, actor=agent)

    assert mail.outbox == []


def test_someone_without_the_permission_cannot_send_a_suggestion(outsider):
    ticket, _ = make_ticket()
    suggestion = ready_suggestion(ticket)

    with pytest.raises(services.NotAllowed):
        services.suggestion_accept(suggestion=suggestion, actor=outsider)

    assert mail.outbox == [] and ReplySuggestion.objects.get(pk=suggestion.pk).decision == ""


def test_when_the_email_cannot_be_sent_nothing_is_recorded(agent, monkeypatch):
    ticket, _ = make_ticket()
    suggestion = ready_suggestion(ticket)

    def refuse(self, **kwargs):
        raise SMTPException("relay refused")

    monkeypatch.setattr("support.services.tickets.EmailMessage.send", refuse)

    with pytest.raises(services.SupportError, match="could not be sent"):
        services.suggestion_accept(suggestion=suggestion, actor=agent)

    assert ReplySuggestion.objects.get(pk=suggestion.pk).decision == ""
    assert not ticket.messages.filter(author_kind=Message.Author.STAFF).exists()
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.NEW


def test_a_late_first_response_is_flagged_as_a_breach(agent):
    ticket, _ = make_ticket(created_at=timezone.now() - timedelta(days=3))

    services.ticket_reply(ticket=ticket, actor=agent, body="Sorry for the wait.")

    ticket.refresh_from_db()
    assert ticket.first_response_breached and ticket.sla_breached()


def test_an_internal_note_is_never_emailed(agent):
    ticket, _ = make_ticket()

    note = services.ticket_reply(ticket=ticket, actor=agent, body="Customer called, see CRM.", internal=True)

    assert note.author_kind == Message.Author.NOTE and mail.outbox == []
    assert Ticket.objects.get(pk=ticket.pk).first_responded_at is None


# --- the customer writes again --------------------------------------------------------------------

def test_a_customer_reply_reopens_a_waiting_ticket_and_replaces_an_undecided_suggestion(agent):
    ticket, _ = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.WAITING, triage_status="done")
    old = ready_suggestion(ticket)

    services.customer_reply(ticket=ticket, body="Any news?")

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ReplySuggestion.objects.get(pk=old.pk).status == ReplySuggestion.Status.SUPERSEDED
    assert ticket.suggestions.get(status=ReplySuggestion.Status.PENDING)


def test_a_closed_ticket_takes_no_more_messages():
    ticket, _ = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)

    with pytest.raises(services.StateError, match="closed"):
        services.customer_reply(ticket=ticket, body="Hello?")

    assert ticket.messages.count() == 1


def test_only_one_suggestion_is_open_per_ticket():
    ticket, _ = make_ticket()

    first = services.suggestion_request(ticket=ticket, actor=None)
    second = services.suggestion_request(ticket=ticket, actor=None)

    assert first is not None and second is None
    assert ticket.suggestions.count() == 1


# --- SLA and rates --------------------------------------------------------------------------------

def test_overdue_tickets_are_flagged_once():
    late, _ = make_ticket(created_at=timezone.now() - timedelta(days=5))
    make_ticket()

    assert services.sla_flag_breaches() == 2  # first response and resolution
    assert services.sla_flag_breaches() == 0

    late.refresh_from_db()
    assert late.first_response_breached and late.resolution_breached
    assert list(Ticket.objects.filter(selectors.sla_breached_q())) == [late]


def test_acceptance_edit_and_rejection_rates_are_counted_per_intent(agent):
    def decided(intent, decision):
        ticket, _ = make_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(intent=intent)
        suggestion = ready_suggestion(ticket)
        if decision == "accept":
            services.suggestion_accept(suggestion=suggestion, actor=agent)
        elif decision == "edit":
            services.suggestion_edit_and_send(suggestion=suggestion, actor=agent, text="Something else.")
        elif decision == "reject":
            services.suggestion_reject(suggestion=suggestion, actor=agent, reason="no")

    for intent, decision in [("track_order", "accept"), ("track_order", "accept"), ("track_order", "edit"),
                             ("track_order", "reject"), ("get_refund", "reject"), ("get_refund", None)]:
        decided(intent, decision)

    rates = {row["intent"]: row for row in selectors.suggestion_rates_by_intent()}

    assert rates["track_order"] == {"intent": "track_order", "decided": 4, "accepted": 2, "edited": 1, "rejected": 1,
                                    "undecided": 0, "acceptance_rate": 0.5, "edit_rate": 0.25, "rejection_rate": 0.25}
    assert rates["get_refund"] == {"intent": "get_refund", "decided": 1, "accepted": 0, "edited": 0, "rejected": 1,
                                   "undecided": 1, "acceptance_rate": 0.0, "edit_rate": 0.0, "rejection_rate": 1.0}
