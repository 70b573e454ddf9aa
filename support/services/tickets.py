"""Tickets and their messages: create, authenticate, move along the status map, assign, override, reply, email."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from smtplib import SMTPException

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from content.models import Product
from ecomcms.errors import require_permission
from support import checks
from support.conf import conf
from support.models import (
    Channel,
    Confidence,
    InboundEmail,
    Intent,
    IntentLabel,
    Message,
    Priority,
    Queue,
    Sentiment,
    SetBy,
    Ticket,
    TicketEvent,
    TicketStatus,
    TriageStatus,
)
from support.privacy import redact_text
from support.services._base import (
    MAX_BODY,
    MAX_SUBJECT,
    PERMISSION,
    NotAllowed,
    StateError,
    SupportError,
    _clean_text,
    _dispatch_triage,
    _event,
)
from support.services.sla import _sla_dues

PUBLIC_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone

#: Allowed status changes. Closed is final; a solved ticket can be reopened.
TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset({TicketStatus.OPEN, TicketStatus.WAITING, TicketStatus.SOLVED, TicketStatus.CLOSED}),
    TicketStatus.OPEN: frozenset({TicketStatus.WAITING, TicketStatus.SOLVED, TicketStatus.CLOSED}),
    TicketStatus.WAITING: frozenset({TicketStatus.OPEN, TicketStatus.SOLVED, TicketStatus.CLOSED}),
    TicketStatus.SOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}
OVERRIDABLE = ("intent", "category", "sentiment", "priority", "language")


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_public_id() -> str:
    while True:
        public_id = "T-" + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(8))
        if not Ticket.objects.filter(public_id=public_id).exists():
            return public_id


def _customer_message(ticket: Ticket, body: str, *, created_at: datetime | None = None) -> Message:
    redacted = redact_text(body, customer_name=ticket.customer_name)
    return Message.objects.create(
        ticket=ticket, author_kind=Message.Author.CUSTOMER, body=body, redacted_body=redacted.text,
        redactions=redacted.mapping, created_at=created_at or timezone.now(),
    )


def ticket_create(*, email: str, subject: str, body: str, name: str = "", customer_id: str = "",
                  order_reference: str = "", channel: str = Channel.WEB, queue: Queue | None = None,
                  created_at: datetime | None = None, triage_now: bool = True,
                  product: str = "") -> tuple[Ticket, str]:
    """Open a ticket with the customer's first message; returns it with its access token.

    The token is shown to the customer once and stored only as a SHA-256 hash. ``product`` (a SKU or
    slug, optional) names the product the ticket is about; an unknown one is refused.
    The message is stored as written and redacted; SLA due times come from the
    queue (the default queue until triage routes the ticket). Triage is queued
    after the transaction commits.
    """
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise SupportError("the email address is not valid") from None
    subject = " ".join(_clean_text(subject, field="subject", limit=MAX_SUBJECT).split())
    body = _clean_text(body, field="message", limit=MAX_BODY)
    if channel not in Channel.values:
        raise SupportError(f"unknown channel: {channel!r}")
    name = " ".join((name or "").split())[:200]
    product_row = _product_named(product)
    created_at = created_at or timezone.now()
    token = secrets.token_urlsafe(24)
    redacted_subject = redact_text(subject, customer_name=name)
    mapping = dict(redacted_subject.mapping)
    if name and name not in mapping.values():
        # The prompt names the customer by placeholder, so the model can greet them without seeing the name.
        number = 1
        while f"[NAME_{number}]" in mapping or f"[NAME_{number}]" in redacted_subject.text:
            number += 1
        mapping[f"[NAME_{number}]"] = name
    with transaction.atomic():
        queue = queue or Queue.objects.filter(is_default=True).first()
        first_due, resolution_due = _sla_dues(queue, created_at)
        ticket = Ticket.objects.create(
            public_id=_new_public_id(), access_token_hash=_hash_token(token), customer_email=email,
            customer_name=name, customer_id=(customer_id or "").strip()[:100],
            order_reference=(order_reference or "").strip()[:100], product=product_row, subject=subject,
            redacted_subject=redacted_subject.text[:400], redactions=mapping, channel=channel, queue=queue,
            first_response_due=first_due, resolution_due=resolution_due, created_at=created_at,
        )
        _customer_message(ticket, body, created_at=created_at)
        _event(ticket, TicketEvent.Kind.CREATED, to_value=TicketStatus.NEW, comment=f"via {channel}")
        if triage_now:
            _dispatch_triage(ticket.pk)
    return ticket, token


def _product_named(product: str) -> Product | None:
    product = (product or "").strip()
    if not product:
        return None
    found = Product.objects.filter(Q(sku=product) | Q(slug=product)).first()
    if found is None:
        raise SupportError(f"unknown product: {product[:100]!r}")
    return found


def ticket_authenticate(*, public_id: str, token: str) -> Ticket | None:
    """The ticket if ``token`` is its access token, else None (compared in constant time)."""
    ticket = Ticket.objects.filter(public_id=public_id).first()
    if ticket is None or not token:
        return None
    return ticket if hmac.compare_digest(ticket.access_token_hash, _hash_token(token)) else None


def _set_status(ticket: Ticket, to_status: str, *, actor, comment: str = "", now: datetime | None = None) -> bool:
    """Change the status of a LOCKED ticket if the map allows it; returns whether it changed."""
    if ticket.status == to_status:
        return False
    if to_status not in TRANSITIONS[ticket.status]:
        raise StateError(f"cannot move a ticket from {TicketStatus(ticket.status).label.lower()} "
                         f"to {TicketStatus(to_status).label.lower()}")
    now = now or timezone.now()
    previous = ticket.status
    ticket.status = to_status
    fields = ["status", "updated_at"]
    if to_status in (TicketStatus.SOLVED, TicketStatus.CLOSED) and ticket.resolved_at is None:
        ticket.resolved_at = now
        ticket.resolution_breached = ticket.resolution_breached or bool(
            ticket.resolution_due and now > ticket.resolution_due
        )
        fields += ["resolved_at", "resolution_breached"]
    elif to_status in (TicketStatus.OPEN, TicketStatus.WAITING) and ticket.resolved_at is not None:
        ticket.resolved_at = None  # reopened
        fields.append("resolved_at")
    ticket.save(update_fields=fields)
    _event(ticket, TicketEvent.Kind.STATUS, actor=actor, from_value=previous, to_value=to_status, comment=comment)
    return True


def ticket_transition(*, ticket: Ticket, to_status: str, actor, comment: str = "") -> Ticket:
    """Move a ticket along the allowed map (``TRANSITIONS``); anything else is refused."""
    require_permission(actor, PERMISSION, error=NotAllowed)
    if to_status not in TicketStatus.values:
        raise SupportError(f"unknown status: {to_status!r}")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status == to_status:
            raise StateError(f"the ticket is already {TicketStatus(to_status).label.lower()}")
        _set_status(locked, to_status, actor=actor, comment=comment)
    return locked


def ticket_assign(*, tickets, assignee, actor) -> int:
    """Assign (or, with ``assignee=None``, unassign) tickets; returns how many changed hands."""
    require_permission(actor, PERMISSION, error=NotAllowed)
    if assignee is not None and not (assignee.is_active and assignee.has_perm(PERMISSION)):
        raise SupportError(f"{assignee} cannot handle tickets")
    ids = [t.pk for t in tickets]
    changed = 0
    with transaction.atomic():
        for locked in Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            if locked.assignee_id == (assignee.pk if assignee else None):
                continue
            previous = str(locked.assignee) if locked.assignee_id else ""
            locked.assignee = assignee
            locked.save(update_fields=["assignee", "updated_at"])
            _event(locked, TicketEvent.Kind.ASSIGNED, actor=actor, from_value=previous, to_value=str(assignee or ""))
            changed += 1
    return changed


def ticket_model_text(ticket: Ticket, first_message: Message | None = None) -> str:
    """What the classifier sees (and what a label stores): redacted subject and first customer message."""
    if first_message is None:
        first_message = ticket.messages.filter(author_kind=Message.Author.CUSTOMER).order_by("created_at", "pk").first()
    body = first_message.redacted_body if first_message else ""
    return f"{ticket.redacted_subject}\n{body}".strip()


def _validate_override(field: str, value: str) -> str:
    value = (value or "").strip()
    if field == "intent":
        if not Intent.objects.filter(name=value).exists():
            raise SupportError(f"unknown intent: {value!r} (add it to the intent taxonomy first)")
    elif field == "sentiment" and value not in Sentiment.values:
        raise SupportError(f"sentiment must be one of {', '.join(Sentiment.values)}")
    elif field == "priority" and value not in Priority.values:
        raise SupportError(f"priority must be one of {', '.join(Priority.values)}")
    elif field == "language" and not (2 <= len(value) <= 10 and value.replace("-", "").isalpha()):
        raise SupportError("language must be a code such as en, de or pt-BR")
    elif field == "category" and not (0 < len(value) <= 100):
        raise SupportError("category must be 1 to 100 characters")
    return value


def ticket_override_prediction(*, ticket: Ticket, field: str, value: str, actor) -> Ticket:
    """A person sets a prediction. It is kept as set by staff (triage never overwrites it), and an
    intent override becomes a training label for the next classifier."""
    require_permission(actor, PERMISSION, error=NotAllowed)
    if field not in OVERRIDABLE:
        raise SupportError(f"unknown prediction: {field!r}")
    value = _validate_override(field, value)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        previous = getattr(locked, field)
        setattr(locked, field, value)
        setattr(locked, f"{field}_confidence", Confidence.HIGH)
        setattr(locked, f"{field}_set_by", SetBy.STAFF)
        fields = [field, f"{field}_confidence", f"{field}_set_by", "updated_at"]
        if field == "intent":
            intent = Intent.objects.select_related("queue").get(name=value)
            locked.needs_human_triage = False
            locked.intent_score = None
            fields += ["needs_human_triage", "intent_score"]
            if intent.category and locked.category_set_by != SetBy.STAFF:
                locked.category, locked.category_confidence, locked.category_set_by = (
                    intent.category,
                    Confidence.HIGH,
                    SetBy.STAFF,
                )
                fields += ["category", "category_confidence", "category_set_by"]
            fields += _route_to_queue(locked, intent.queue, actor=actor)
            IntentLabel.objects.create(ticket=locked, text=ticket_model_text(locked), intent=value,
                                       source=IntentLabel.Source.STAFF, created_by=actor)
        locked.save(update_fields=list(dict.fromkeys(fields)))
        _event(locked, TicketEvent.Kind.OVERRIDE, actor=actor, from_value=previous, to_value=value, comment=field)
        if field == "intent":
            from support.services.revisions import ticket_copy_revision  # it reads tickets: imported late

            ticket_copy_revision(locked)
    return locked


def _route_to_queue(ticket: Ticket, queue: Queue | None, *, actor) -> list[str]:
    """Move a ticket still in the default queue (or none) to its intent's queue; SLA dues follow."""
    if queue is None or queue.pk == ticket.queue_id or (ticket.queue is not None and not ticket.queue.is_default):
        return []
    previous = str(ticket.queue or "")
    ticket.queue = queue
    fields = ["queue"]
    first_due, resolution_due = _sla_dues(queue, ticket.created_at)
    if ticket.first_responded_at is None:
        ticket.first_response_due = first_due
        fields.append("first_response_due")
    if ticket.resolved_at is None:
        ticket.resolution_due = resolution_due
        fields.append("resolution_due")
    _event(ticket, TicketEvent.Kind.QUEUE, actor=actor, from_value=previous, to_value=queue.name)
    return fields


# --- Messages and email ---------------------------------------------------------------------------

def _new_message_id() -> str:
    """A Message-ID for a reply (without brackets): a customer's answer names it in In-Reply-To, so it threads."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return make_msgid(domain=domain)[1:-1]


def _email_customer(ticket: Ticket, text: str, *, message_id: str) -> None:
    footer = f"\n\n--\n{conf.SUPPORT_SHOP_NAME} support, ticket {ticket.public_id}"
    headers = {"Message-ID": f"<{message_id}>"}
    # The customer's own emails on this ticket: their mail program shows our reply in the same conversation.
    earlier = list(InboundEmail.objects.filter(ticket=ticket).exclude(message_id="")
                   .order_by("-received_at", "-pk").values_list("message_id", flat=True)[:10])
    if earlier:
        headers["In-Reply-To"] = f"<{earlier[0]}>"
        headers["References"] = " ".join(f"<{mid}>" for mid in reversed(earlier))
    try:
        EmailMessage(
            subject=f"Re: {ticket.subject} [{ticket.public_id}]", body=text + footer,
            from_email=settings.DEFAULT_FROM_EMAIL, to=[ticket.customer_email], headers=headers,
        ).send(fail_silently=False)
    except (SMTPException, OSError) as exc:
        raise SupportError(f"the email to the customer could not be sent ({exc}); nothing was recorded") from exc


def _send_staff_reply(ticket: Ticket, *, actor, text: str, status_after: str, suggestion=None) -> Message:
    """On a LOCKED ticket: store the reply, email it, and move the ticket on. Runs inside the caller's
    transaction, so a failed email leaves no trace of the reply."""
    if ticket.status == TicketStatus.CLOSED:
        raise StateError("cannot reply to a closed ticket")
    now = timezone.now()
    text = checks.plain_text(text).strip()  # an email in plain text: markup a person pasted goes too
    if not text:
        raise SupportError("the reply is empty")
    redacted = redact_text(text, customer_name=ticket.customer_name)
    message = Message.objects.create(
        ticket=ticket, author_kind=Message.Author.STAFF, author=actor, body=text, redacted_body=redacted.text,
        redactions=redacted.mapping, suggestion=suggestion, emailed_at=now, created_at=now,
        email_message_id=_new_message_id(),
    )
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        ticket.first_response_breached = ticket.first_response_breached or bool(
            ticket.first_response_due and now > ticket.first_response_due)
        ticket.save(update_fields=["first_responded_at", "first_response_breached", "updated_at"])
    _event(ticket, TicketEvent.Kind.MESSAGE, actor=actor, to_value=Message.Author.STAFF,
           comment=f"reply emailed to the customer{' from suggestion ' + str(suggestion.pk) if suggestion else ''}")
    if status_after and status_after != ticket.status:
        _set_status(ticket, status_after, actor=actor, comment="after a reply", now=now)
    _email_customer(ticket, text, message_id=message.email_message_id)
    return message


def ticket_reply(*, ticket: Ticket, actor, body: str, internal: bool = False,
                 status_after: str = TicketStatus.WAITING) -> Message:
    """A staff member writes to the customer (emailed) or adds an internal note (never emailed, never in a prompt)."""
    require_permission(actor, PERMISSION, error=NotAllowed)
    body = _clean_text(body, field="message", limit=MAX_BODY)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not internal:
            return _send_staff_reply(locked, actor=actor, text=body, status_after=status_after)
        redacted = redact_text(body, customer_name=locked.customer_name)
        message = Message.objects.create(ticket=locked, author_kind=Message.Author.NOTE, author=actor, body=body,
                                         redacted_body=redacted.text, redactions=redacted.mapping)
        _event(locked, TicketEvent.Kind.MESSAGE, actor=actor, to_value=Message.Author.NOTE, comment="internal note")
    return message


def customer_reply(*, ticket: Ticket, body: str) -> Message:
    """The customer writes again (with their access token). A waiting or solved ticket reopens, and a
    new reply is suggested; a closed ticket takes no more messages."""
    # Suggestions build on tickets (a decision sends a staff reply), so this one edge is imported when used.
    from support.services.suggestions import suggestion_request

    body = _clean_text(body, field="message", limit=MAX_BODY)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status == TicketStatus.CLOSED:
            raise StateError("this ticket is closed; please open a new one")
        message = _customer_message(locked, body)
        _event(locked, TicketEvent.Kind.MESSAGE, to_value=Message.Author.CUSTOMER, comment="customer replied")
        if locked.status in (TicketStatus.WAITING, TicketStatus.SOLVED):
            _set_status(locked, TicketStatus.OPEN, actor=None, comment="the customer replied")
        if locked.triage_status in (TriageStatus.DONE, TriageStatus.FAILED):
            suggestion_request(ticket=locked, actor=None)
    return message
