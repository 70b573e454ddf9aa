"""The support API: customers open, read and answer tickets with the ticket's token; staff mirror the admin."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from support.models import IntentLabel, Message, ReplySuggestion, Ticket, TicketStatus
from tests.support.factories import make_agent, make_taxonomy, make_ticket

pytestmark = pytest.mark.django_db

NEW_TICKET = {"email": "anna@example.com", "name": "Anna", "subject": "Where is my parcel?",
              "message": "It has not arrived. Call me on +44 20 7946 0958.", "order_reference": "A-1"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def staff(api, agent):
    api.force_login(agent)
    return api


def error(response) -> tuple[int, str]:
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()["error"]["code"]


# --- customers ------------------------------------------------------------------------------------

def test_a_customer_opens_a_ticket_and_gets_its_token_once(api, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("support.tasks.triage_ticket.apply_async", lambda args, **options: queued.append(*args))

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/tickets", NEW_TICKET, format="json")

    assert response.status_code == 201
    body = response.json()
    ticket = Ticket.objects.get()
    assert set(body) == {"id", "access_token", "status", "created_at"}
    assert (body["id"], body["status"]) == (ticket.public_id, "new")
    assert ticket.channel == "web" and ticket.order_reference == "A-1"
    assert ticket.messages.get().redacted_body == "It has not arrived. Call me on [PHONE_1]."
    assert queued == [ticket.pk]
    read = api.get(f"/api/v1/tickets/{ticket.public_id}", HTTP_X_TICKET_TOKEN=body["access_token"])
    assert "access_token" not in read.json()


@pytest.mark.parametrize("change, field", [
    ({"email": "nope"}, "email"), ({"subject": ""}, "subject"), ({"subject": "   "}, "subject"),
    ({"message": "x" * 20_001}, "message"), ({"channel": "email"}, "channel"), ({"subject": 7}, "subject"),
    ({"name": ["a"]}, "name"),
])
def test_a_bad_ticket_is_a_validation_error_naming_the_field(api, change, field):
    response = api.post("/api/v1/tickets", NEW_TICKET | change, format="json")

    assert error(response) == (400, "validation_error")
    assert field in response.json()["error"]["fields"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("body", [b"{not json", b"[]", b"null", b'"text"', b"\xff"])
def test_garbage_is_refused_with_a_json_error_not_a_500(api, body):
    response = api.post("/api/v1/tickets", body, content_type="application/json")

    assert response.status_code == 400 and response.json()["error"]["code"] in ("parse_error", "validation_error")


def test_opening_tickets_is_throttled_per_client(api, settings):
    settings.SUPPORT_API_THROTTLE_TICKETS = "2/min"

    statuses = [api.post("/api/v1/tickets", NEW_TICKET, format="json").status_code for _ in range(3)]

    assert statuses == [201, 201, 429]
    assert Ticket.objects.count() == 2


def test_the_customer_reads_the_ticket_with_either_header_and_never_sees_notes_or_suggestions(api, agent):
    ticket, token = make_ticket()
    from support import services

    services.ticket_reply(ticket=ticket, actor=agent, body="Internal: VIP customer", internal=True)
    services.ticket_reply(ticket=ticket, actor=agent, body="It ships today.")
    ReplySuggestion.objects.create(ticket=ticket, status="ready", text="SUGGESTED TEXT")

    by_header = api.get(f"/api/v1/tickets/{ticket.public_id}", HTTP_X_TICKET_TOKEN=token)
    by_bearer = api.get(f"/api/v1/tickets/{ticket.public_id}", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert by_header.status_code == by_bearer.status_code == 200
    assert by_header.json() == by_bearer.json()
    body = by_header.json()
    assert [(m["author"], m["body"]) for m in body["messages"]] == [
        ("customer", "Hi, where is my parcel? It has not arrived."), ("staff", "It ships today.")]
    assert "VIP" not in str(body) and "SUGGESTED" not in str(body) and "intent" not in body


def test_a_wrong_token_looks_like_an_unknown_ticket_and_a_missing_one_is_a_401(api):
    ticket, _ = make_ticket()
    other, other_token = make_ticket()

    assert error(api.get(f"/api/v1/tickets/{ticket.public_id}", HTTP_X_TICKET_TOKEN=other_token)) == (404, "not_found")
    assert error(api.get("/api/v1/tickets/T-NOTHING1", HTTP_X_TICKET_TOKEN=other_token)) == (404, "not_found")
    assert error(api.get(f"/api/v1/tickets/{ticket.public_id}")) == (401, "not_authenticated")
    assert error(api.post(f"/api/v1/tickets/{ticket.public_id}/messages", {"message": "hi"}, format="json",
                          HTTP_X_TICKET_TOKEN=other_token)) == (404, "not_found")
    assert ticket.messages.count() == 1


def test_the_customer_replies_and_a_closed_ticket_refuses(api):
    ticket, token = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.WAITING)

    reply = api.post(f"/api/v1/tickets/{ticket.public_id}/messages", {"message": "Any news?"}, format="json",
                     HTTP_X_TICKET_TOKEN=token)
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    refused = api.post(f"/api/v1/tickets/{ticket.public_id}/messages", {"message": "Hello?"}, format="json",
                       HTTP_X_TICKET_TOKEN=token)

    assert reply.status_code == 201 and reply.json()["author"] == "customer"
    assert error(refused) == (409, "invalid_state")
    assert list(ticket.messages.values_list("body", flat=True)) == ["Hi, where is my parcel? It has not arrived.",
                                                                    "Any news?"]


# --- staff ----------------------------------------------------------------------------------------

STAFF_GETS = ["/api/v1/staff/tickets", "/api/v1/staff/suggestion-rates"]


@pytest.mark.parametrize("path", STAFF_GETS)
def test_staff_endpoints_need_a_signed_in_person_with_the_permission(api, outsider, path):
    assert error(api.get(path)) == (403, "not_authenticated")
    api.force_login(outsider)
    assert error(api.get(path)) == (403, "permission_denied")


def test_staff_list_tickets_with_filters(staff, agent):
    urgent, _ = make_ticket(subject="Chargeback")
    Ticket.objects.filter(pk=urgent.pk).update(priority="urgent", intent="payment_issue", intent_confidence="high",
                                               assignee=agent)
    make_ticket(subject="Other")

    everything = staff.get("/api/v1/staff/tickets").json()["results"]
    filtered = staff.get("/api/v1/staff/tickets", {"priority": "urgent", "intent": "payment_issue",
                                                   "confidence": "high", "assignee": "me",
                                                   "sla_breached": "false"}).json()["results"]
    unassigned = staff.get("/api/v1/staff/tickets", {"assignee": "none"}).json()["results"]

    assert len(everything) == 2
    assert [t["id"] for t in filtered] == [urgent.public_id]
    assert filtered[0]["priority"] == {"value": "urgent", "confidence": "", "set_by": ""}
    assert [t["subject"] for t in unassigned] == ["Other"]
    assert error(staff.get("/api/v1/staff/tickets", {"priority": "asap"})) == (400, "validation_error")


def test_staff_see_card_numbers_masked_in_ticket_messages_and_subjects(staff):
    ticket, _ = make_ticket(subject="Charged twice on 4111 1111 1111 1111",
                            body="My card 4242-4242-4242-4242 was charged twice for order 12345.")

    detail = staff.get(f"/api/v1/staff/tickets/{ticket.public_id}").json()
    listed = staff.get("/api/v1/staff/tickets").json()["results"]

    assert detail["subject"] == listed[0]["subject"] == "Charged twice on **** **** **** 1111"
    assert [m["body"] for m in detail["messages"]] == [
        "My card **** **** **** 4242 was charged twice for order 12345."]
    assert ticket.messages.get().body.startswith("My card 4242-4242-4242-4242")  # stored as written


def test_staff_decide_on_a_suggestion_through_the_api_as_in_the_admin(staff, agent):
    ticket, _ = make_ticket()
    suggestion = ReplySuggestion.objects.create(ticket=ticket, status="ready", text="It ships today.")

    detail = staff.get(f"/api/v1/staff/tickets/{ticket.public_id}").json()
    accepted = staff.post(f"/api/v1/staff/suggestions/{suggestion.pk}/accept", {}, format="json")
    again = staff.post(f"/api/v1/staff/suggestions/{suggestion.pk}/reject", {"reason": "x"}, format="json")

    assert detail["suggestion"]["id"] == suggestion.pk and detail["suggestion"]["text"] == "It ships today."
    assert accepted.status_code == 200 and accepted.json()["decision"] == "accepted"
    assert accepted.json()["decided_by"] == agent.username
    assert error(again) == (409, "invalid_state")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@example.com"]
    assert ticket.messages.filter(author_kind=Message.Author.STAFF).count() == 1


def test_staff_edit_reject_override_assign_and_change_status(staff, agent):
    make_taxonomy()
    ticket, _ = make_ticket()
    edited = ReplySuggestion.objects.create(ticket=ticket, status="ready", text="Draft")

    responses = [
        staff.post(f"/api/v1/staff/suggestions/{edited.pk}/edit-and-send", {"text": "Final", "status_after": "solved"},
                   format="json"),
        staff.post(f"/api/v1/staff/tickets/{ticket.public_id}/predictions", {"field": "intent", "value": "track_order"},
                   format="json"),
        staff.post("/api/v1/staff/tickets/assign", {"tickets": [ticket.public_id], "assignee": agent.username},
                   format="json"),
        staff.post(f"/api/v1/staff/tickets/{ticket.public_id}/status", {"status": "closed"}, format="json"),
        staff.post(f"/api/v1/staff/tickets/{ticket.public_id}/messages", {"message": "Note", "internal": True},
                   format="json"),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 201]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.intent, ticket.intent_set_by, ticket.assignee) == (
        "closed",
        "track_order",
        "staff",
        agent,
    )
    assert IntentLabel.objects.get().intent == "track_order"
    assert mail.outbox[0].body.startswith("Final")
    refused = staff.post(f"/api/v1/staff/tickets/{ticket.public_id}/status", {"status": "open"}, format="json")
    assert error(refused) == (409, "invalid_state")
    assert error(staff.post("/api/v1/staff/tickets/assign", {"tickets": ["T-NOPE0000"], "assignee": None},
                            format="json")) == (400, "validation_error")
    assert error(staff.post(f"/api/v1/staff/tickets/{ticket.public_id}/predictions",
                            {"field": "intent", "value": "made_up"}, format="json")) == (400, "invalid_request")
    assert error(staff.post("/api/v1/staff/suggestions/999999/accept", {}, format="json")) == (404, "not_found")


def test_staff_see_rates_per_intent(staff):
    ticket, _ = make_ticket()
    Ticket.objects.filter(pk=ticket.pk).update(intent="track_order")
    ReplySuggestion.objects.create(ticket=ticket, status="ready", text="x", decision="rejected")

    rates = staff.get("/api/v1/staff/suggestion-rates").json()["results"]

    assert rates == [{"intent": "track_order", "decided": 1, "accepted": 0, "edited": 0, "rejected": 1, "undecided": 0,
                      "acceptance_rate": 0.0, "edit_rate": 0.0, "rejection_rate": 1.0}]


def test_another_agent_can_be_assigned_but_not_an_outsider(staff, outsider):
    ticket, _ = make_ticket()
    colleague = make_agent()

    ok = staff.post("/api/v1/staff/tickets/assign", {"tickets": [ticket.public_id], "assignee": colleague.username},
                    format="json")
    refused = staff.post("/api/v1/staff/tickets/assign", {"tickets": [ticket.public_id], "assignee": outsider.username},
                         format="json")

    assert ok.json() == {"assigned": 1}
    assert error(refused) == (400, "invalid_request")
    assert Ticket.objects.get(pk=ticket.pk).assignee == colleague
