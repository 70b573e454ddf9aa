"""Reads: which rows belong to a customer, what an erasure would touch, and the export document.

Matching is exactly what the request names, never more:

* tickets whose email equals the address (case-insensitive) or whose customer id
  equals the id;
* shopper events whose customer id equals the id, plus the anonymous events
  (no customer id) of every session those events belong to: the storefront
  attributes a session to a customer when one of its events names both, so the
  session's earlier anonymous events are the same person's.

A ticket's customer id is typed by whoever opened it ("as given; not verified"),
so an email address never pulls in the events of the customer id written on its
tickets: ``customer_data_plan`` lists such ids so that a person can decide to
name them in the request too.
"""

from __future__ import annotations

import base64

from django.db.models import Q, QuerySet
from django.utils import timezone

from privacy.pseudonyms import Customer
from recommender.models import Event
from support.models import IntentLabel, Message, ReplySuggestion, Ticket, TicketEvent

#: Bump when the export's layout changes; consumers read it before anything else.
EXPORT_SCHEMA = "ecomcms.customer-data"
EXPORT_SCHEMA_VERSION = 1


def customer_tickets(customer: Customer) -> QuerySet[Ticket]:
    match = Q()
    if customer.email:
        match |= Q(customer_email__iexact=customer.email)
    if customer.customer_id:
        match |= Q(customer_id=customer.customer_id)
    return Ticket.objects.filter(match).order_by("created_at", "pk")


def customer_sessions(customer: Customer) -> list[str]:
    """Sessions attributed to the customer id (an event of the session names it)."""
    if not customer.customer_id:
        return []
    return sorted(set(Event.objects.filter(customer_id=customer.customer_id).exclude(session_id="")
                      .values_list("session_id", flat=True).order_by()))


def customer_events(customer: Customer, sessions: list[str] | None = None) -> QuerySet[Event]:
    """The customer id's events and the anonymous events of its sessions; other customers' events never."""
    if not customer.customer_id:
        return Event.objects.none()
    sessions = customer_sessions(customer) if sessions is None else sessions
    match = Q(customer_id=customer.customer_id)
    if sessions:
        match |= Q(customer_id="", session_id__in=sessions)
    return Event.objects.filter(match).order_by("occurred_at", "pk")


def customer_data_plan(customer: Customer) -> dict:
    """What an erasure of ``customer`` would touch, counted; for the confirmation prompt and page.

    ``other_customer_ids``: customer ids written on the matched tickets that the
    request does not name. Their events are not touched unless they are named too.
    """
    tickets = customer_tickets(customer)
    ticket_ids = list(tickets.values_list("pk", flat=True))
    sessions = customer_sessions(customer)
    events = customer_events(customer, sessions)
    named = {customer.customer_id} if customer.customer_id else set()
    others = sorted(set(tickets.exclude(customer_id="").values_list("customer_id", flat=True)) - named)
    return {
        "tickets": len(ticket_ids),
        "messages": Message.objects.filter(ticket_id__in=ticket_ids).count(),
        "suggestions": ReplySuggestion.objects.filter(ticket_id__in=ticket_ids).count(),
        "ticket_events": TicketEvent.objects.filter(ticket_id__in=ticket_ids).count(),
        "intent_labels": IntentLabel.objects.filter(ticket_id__in=ticket_ids).count(),
        "events": events.count(),
        "sessions": len(sessions),
        "ticket_ids": [t.public_id for t in tickets.only("public_id")],
        "other_customer_ids": others,
    }


def plan_is_empty(plan: dict) -> bool:
    return not (plan["tickets"] or plan["events"])


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _prediction(ticket: Ticket, field: str) -> dict:
    return {"value": getattr(ticket, field), "confidence": getattr(ticket, f"{field}_confidence"),
            "set_by": getattr(ticket, f"{field}_set_by")}


def _ticket_document(ticket: Ticket) -> dict:
    return {
        "id": ticket.public_id,
        "created_at": _iso(ticket.created_at),
        "channel": ticket.channel,
        "status": ticket.status,
        "customer": {"email": ticket.customer_email, "name": ticket.customer_name, "customer_id": ticket.customer_id},
        "order_reference": ticket.order_reference,
        "subject": ticket.subject,
        "first_responded_at": _iso(ticket.first_responded_at),
        "resolved_at": _iso(ticket.resolved_at),
        # What the system inferred about the customer's request is their data too.
        "predictions": {field: _prediction(ticket, field)
                        for field in ("intent", "category", "sentiment", "priority", "language")},
        "messages": [
            {"author": m.author_kind, "internal_note": m.author_kind == Message.Author.NOTE, "body": m.body,
             "created_at": _iso(m.created_at), "emailed_at": _iso(m.emailed_at),
             # The files the customer emailed are theirs too: in the file, whole (base64).
             "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size,
                              "sha256": a.sha256, "content_base64": base64.b64encode(bytes(a.data)).decode("ascii")}
                             for a in m.attachments.all()]}
            for m in ticket.messages.all()  # prefetched, ordered by the model (created_at, pk)
        ],
        "suggested_replies": [
            {"status": s.status, "text": s.text, "decision": s.decision, "sent_text": s.sent_text,
             "model": s.model_id, "created_at": _iso(s.created_at), "decided_at": _iso(s.decided_at)}
            for s in sorted(ticket.suggestions.all(), key=lambda s: (s.created_at, s.pk))
        ],
        "intent_labels": [
            {"intent": label.intent, "source": label.source, "text": label.text, "created_at": _iso(label.created_at)}
            for label in sorted(ticket.labels.all(), key=lambda label: (label.created_at, label.pk))
        ],
        "history": [
            {"kind": e.kind, "at": _iso(e.at), "from": e.from_value, "to": e.to_value, "comment": e.comment}
            for e in ticket.events.all()  # ordered by the model (at, pk)
        ],
    }


def _event_document(event: Event) -> dict:
    return {
        "type": event.type,
        "product": {"sku": event.product.sku, "title": event.product.title} if event.product_id else None,
        "query": event.query,
        "session_id": event.session_id,
        "customer_id": event.customer_id,
        "order_id": event.order_id,
        "quantity": event.quantity,
        "price": str(event.price) if event.price is not None else None,
        "occurred_at": _iso(event.occurred_at),
        "source": event.source,
    }


def customer_data_document(customer: Customer) -> dict:
    """Everything stored about ``customer``, as JSON-serialisable data (the export's content).

    Staff identities are left out (``author`` says customer, staff or internal
    note); internal notes are included and marked, for the person answering the
    request to review before sending the file.
    """
    tickets = customer_tickets(customer).prefetch_related("messages", "messages__attachments", "suggestions", "labels",
                                                          "events")
    sessions = customer_sessions(customer)
    events = customer_events(customer, sessions).select_related("product")
    ticket_documents = [_ticket_document(ticket) for ticket in tickets]
    event_documents = [_event_document(event) for event in events.iterator(chunk_size=2000)]
    return {
        "schema": EXPORT_SCHEMA,
        "schema_version": EXPORT_SCHEMA_VERSION,
        "generated_at": timezone.now().isoformat(),
        "request": {"email": customer.email or None, "customer_id": customer.customer_id or None},
        "counts": {
            "tickets": len(ticket_documents),
            "messages": sum(len(t["messages"]) for t in ticket_documents),
            "attachments": sum(len(m["attachments"]) for t in ticket_documents for m in t["messages"]),
            "suggested_replies": sum(len(t["suggested_replies"]) for t in ticket_documents),
            "intent_labels": sum(len(t["intent_labels"]) for t in ticket_documents),
            "events": len(event_documents),
            "sessions": len(sessions),
        },
        "tickets": ticket_documents,
        "events": event_documents,
        "sessions": sessions,
    }
