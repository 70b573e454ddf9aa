"""Every write to support goes through here: tickets, triage, suggestions and staff decisions.

The admin, the API, management commands and Celery tasks all call these
functions, so they behave identically whichever door was used. Staff actions
need the ``support.handle_ticket`` permission (``NotAllowed``); a wrong current
state is refused with ``StateError``; every change appends a ``TicketEvent``.
``actor=None`` means the system (a worker, the scheduler, a command).

Personal data never reaches a model: each text is stored twice, as written and
redacted (with the mapping that undoes it), and only redacted text is embedded,
classified or put in a prompt. Model output is restored for staff only.

Work that several workers may race for is claimed with a compare-and-set update
(``pending -> running``); results are saved only while the claim is still ours,
so a redelivered or duplicated task changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from smtplib import SMTPException

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ecomcms import inference, queueing
from support import checks, prompts, triage
from support.conf import conf
from support.intent import IntentClassifier, IntentSpec, ZeroShotIntent
from support.models import (
    CannedResponse,
    Channel,
    Confidence,
    Intent,
    IntentLabel,
    IntentModel,
    KnowledgeArticle,
    Message,
    Priority,
    PriorityRule,
    Queue,
    ReplySuggestion,
    Sentiment,
    SetBy,
    Ticket,
    TicketEvent,
    TicketStatus,
    TriageStatus,
)
from support.privacy import log_safe, redact_text, restore, thread_redaction

logger = logging.getLogger(__name__)

PERMISSION = "ecomcms_support.handle_ticket"
MAX_ATTEMPTS = 3
MAX_SUBJECT = 300
MAX_BODY = 20_000
DEFAULT_FIRST_RESPONSE_HOURS = 24
DEFAULT_RESOLUTION_HOURS = 72
TOP_ARTICLES = 2
TOP_CANNED = 1
MIN_ARTICLE_SIMILARITY = 0.2
MIN_CANNED_SIMILARITY = 0.3
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


class SupportError(Exception):
    """A request the support workflow refuses; the message is for the person who made it."""


class StateError(SupportError):
    pass


class NotAllowed(SupportError):
    pass


class ReplyNotSendable(SupportError):
    """The reply has an unfilled placeholder or a link absent from the knowledge base: fix it first."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__("this reply cannot be sent as written: " + " ".join(p["message"] for p in problems))


class FlagsNotConfirmed(SupportError):
    """The suggestion has flags nobody confirmed by name; ``missing`` holds their codes."""

    def __init__(self, missing: list[str], flags: list[dict]):
        self.missing = missing
        details = "; ".join(f"{f['code']}: {f['message']}" for f in flags if f.get("code") in missing)
        super().__init__(f"this suggestion has flags to check before it is sent ({details}). Check them, then "
                         f"confirm them by name (confirm_flags: {', '.join(missing)}).")


class TriageRetry(Exception):
    """A transient model error: the triage task tries again later."""


def _require(actor, permission: str = PERMISSION) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise NotAllowed(f"{actor} may not {permission.split('.', 1)[1].replace('_', ' ')}")


def _event(ticket: Ticket | int, kind: str, *, actor=None, from_value="", to_value="", comment="") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket_id=ticket.pk if isinstance(ticket, Ticket) else ticket, kind=kind, actor=actor,
        from_value=str(from_value)[:200], to_value=str(to_value)[:200], comment=comment,
    )


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _stale_before(now: datetime) -> datetime:
    """A claim older than the hard time limit belongs to a worker that died: it may be taken over."""
    return now - timedelta(seconds=conf.CELERY_TASK_TIME_LIMIT)


def _clean_text(value: str, *, field: str, limit: int) -> str:
    value = (value or "").replace("\x00", "").strip()
    if not value:
        raise SupportError(f"the {field} is empty")
    if len(value) > limit:
        raise SupportError(f"the {field} is longer than {limit} characters")
    return value


# --- Tickets ------------------------------------------------------------------------------------

def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_public_id() -> str:
    while True:
        public_id = "T-" + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(8))
        if not Ticket.objects.filter(public_id=public_id).exists():
            return public_id


def _sla_dues(queue: Queue | None, start: datetime) -> tuple[datetime, datetime]:
    first = queue.first_response_hours if queue else DEFAULT_FIRST_RESPONSE_HOURS
    resolution = queue.resolution_hours if queue else DEFAULT_RESOLUTION_HOURS
    return start + timedelta(hours=first), start + timedelta(hours=resolution)


def _customer_message(ticket: Ticket, body: str, *, created_at: datetime | None = None) -> Message:
    redacted = redact_text(body, customer_name=ticket.customer_name)
    return Message.objects.create(
        ticket=ticket, author_kind=Message.Author.CUSTOMER, body=body, redacted_body=redacted.text,
        redactions=redacted.mapping, created_at=created_at or timezone.now(),
    )


def ticket_create(*, email: str, subject: str, body: str, name: str = "", customer_id: str = "",
                  order_reference: str = "", channel: str = Channel.WEB, queue: Queue | None = None,
                  created_at: datetime | None = None, triage_now: bool = True) -> tuple[Ticket, str]:
    """Open a ticket with the customer's first message; returns it with its access token.

    The token is shown to the customer once and stored only as a SHA-256 hash.
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
            order_reference=(order_reference or "").strip()[:100], subject=subject,
            redacted_subject=redacted_subject.text[:400], redactions=mapping, channel=channel, queue=queue,
            first_response_due=first_due, resolution_due=resolution_due, created_at=created_at,
        )
        _customer_message(ticket, body, created_at=created_at)
        _event(ticket, TicketEvent.Kind.CREATED, to_value=TicketStatus.NEW, comment=f"via {channel}")
        if triage_now:
            _dispatch_triage(ticket.pk)
    return ticket, token


def _send(task_name: str, *args, countdown: int | None = None) -> bool:
    """Send a task; returns False when the broker is unreachable.

    The work it stands for is already committed (a ticket pending triage, a
    pending suggestion), so nothing is lost: ``support_sweep`` sends it again
    once the broker answers. The customer's request succeeds either way.
    """
    from support import tasks

    return queueing.send(getattr(tasks, task_name), args, countdown=countdown)


def _dispatch_triage(ticket_id: int) -> None:
    transaction.on_commit(lambda: _send("triage_ticket", ticket_id))


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
        ticket.resolution_breached = ticket.resolution_breached or bool(ticket.resolution_due and now > ticket.resolution_due)
        fields += ["resolved_at", "resolution_breached"]
    elif to_status in (TicketStatus.OPEN, TicketStatus.WAITING) and ticket.resolved_at is not None:
        ticket.resolved_at = None  # reopened
        fields.append("resolved_at")
    ticket.save(update_fields=fields)
    _event(ticket, TicketEvent.Kind.STATUS, actor=actor, from_value=previous, to_value=to_status, comment=comment)
    return True


def ticket_transition(*, ticket: Ticket, to_status: str, actor, comment: str = "") -> Ticket:
    """Move a ticket along the allowed map (``TRANSITIONS``); anything else is refused."""
    _require(actor)
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
    _require(actor)
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
    _require(actor)
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
                locked.category, locked.category_confidence, locked.category_set_by = intent.category, Confidence.HIGH, SetBy.STAFF
                fields += ["category", "category_confidence", "category_set_by"]
            fields += _route_to_queue(locked, intent.queue, actor=actor)
            IntentLabel.objects.create(ticket=locked, text=ticket_model_text(locked), intent=value,
                                       source=IntentLabel.Source.STAFF, created_by=actor)
        locked.save(update_fields=list(dict.fromkeys(fields)))
        _event(locked, TicketEvent.Kind.OVERRIDE, actor=actor, from_value=previous, to_value=value, comment=field)
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

def _email_customer(ticket: Ticket, text: str) -> None:
    footer = f"\n\n--\n{conf.SUPPORT_SHOP_NAME} support, ticket {ticket.public_id}"
    try:
        send_mail(
            subject=f"Re: {ticket.subject} [{ticket.public_id}]", message=text + footer,
            from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[ticket.customer_email], fail_silently=False,
        )
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
    _email_customer(ticket, text)
    return message


def ticket_reply(*, ticket: Ticket, actor, body: str, internal: bool = False,
                 status_after: str = TicketStatus.WAITING) -> Message:
    """A staff member writes to the customer (emailed) or adds an internal note (never emailed, never in a prompt)."""
    _require(actor)
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


def sla_flag_breaches(*, now: datetime | None = None) -> int:
    """Flag tickets whose first response or resolution is overdue, once each (Celery beat, every minute)."""
    now = now or timezone.now()
    flagged = 0
    overdue = {
        "first_response_breached": Q(first_responded_at__isnull=True, first_response_due__lt=now,
                                     first_response_breached=False),
        "resolution_breached": Q(resolved_at__isnull=True, resolution_due__lt=now, resolution_breached=False),
    }
    for field, condition in overdue.items():
        ids = list(Ticket.objects.filter(condition, status__in=[TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING])
                   .values_list("pk", flat=True)[:1000])
        for pk in ids:
            if Ticket.objects.filter(pk=pk, **{field: False}).update(**{field: True}):
                _event(pk, TicketEvent.Kind.SLA_BREACH, to_value=field.removesuffix("_breached").replace("_", " "))
                flagged += 1
    return flagged


# --- Models: embeddings, intent classifiers --------------------------------------------------------

_cache_lock = threading.Lock()
_classifiers: dict[tuple[str, float], IntentClassifier] = {}
_zero_shot: dict[tuple, ZeroShotIntent] = {}
_sentiment_prototypes: dict[str, np.ndarray] = {}


def _embed(texts: list[str]) -> np.ndarray:
    return inference.get_embedder().embed(list(texts)).vectors


def _vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _vector(data) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)


def _load_classifier(path: str) -> IntentClassifier:
    """Loaded once per worker process (and again only when the file changes)."""
    key = (path, Path(path).stat().st_mtime)
    with _cache_lock:
        if key not in _classifiers:
            _classifiers.clear()
            _classifiers[key] = IntentClassifier.load(path)
        return _classifiers[key]


def _zero_shot_model(intents: list[Intent], model_id: str) -> ZeroShotIntent:
    specs = tuple(IntentSpec(i.name, i.description, tuple(str(e) for e in (i.examples or []))[:10]) for i in intents)
    key = (model_id, specs)
    with _cache_lock:
        if key not in _zero_shot:
            _zero_shot.clear()
            _zero_shot[key] = ZeroShotIntent().fit(list(specs), _embed)
        return _zero_shot[key]


def _sentiment_anchors(model_id: str) -> np.ndarray:
    with _cache_lock:
        if model_id not in _sentiment_prototypes:
            _sentiment_prototypes[model_id] = triage.anchor_prototypes(_embed)
        return _sentiment_prototypes[model_id]


@dataclass
class TriageResult:
    """Everything triage predicts for one text (no database writes)."""

    intent: triage.Signal
    intent_score: float | None
    category: str
    sentiment: triage.Signal
    language: triage.Signal
    priority: triage.Signal
    vector: np.ndarray
    model_id: str


def triage_predict(texts: list[str], *, has_order_reference: list[bool]) -> list[TriageResult]:
    """Predict intent, sentiment, language and priority for redacted texts, embedding each text once.

    Intent comes from the active trained classifier when its embedding model is
    the one loaded, else from zero-shot matching against the active intents'
    descriptions and examples. Raises ``inference.ModelError``.
    """
    if not texts:
        return []
    embedder = inference.get_embedder()
    vectors = embedder.embed(list(texts)).vectors
    cached = {text: vectors[i] for i, text in enumerate(texts)}

    def embed(batch: list[str]) -> np.ndarray:  # the classifier asks for the texts we have already embedded
        if all(t in cached for t in batch):
            return np.stack([cached[t] for t in batch]) if batch else np.zeros((0, vectors.shape[1]), np.float32)
        return _embed(batch)

    intents = {i.name: i for i in Intent.objects.filter(is_active=True)}
    active = IntentModel.objects.filter(is_active=True).first()
    details: dict = {}
    predictions = None
    if active is not None and active.embedding_model == embedder.model_id and Path(active.artifact).is_file():
        predictions = _load_classifier(active.artifact).predict(list(texts), embed)
        details = {"source": "classifier", "intent_model": active.pk, "threshold": round(active.threshold, 3)}
    elif intents:
        if active is not None:
            details["note"] = (f"intent model {active.pk} was trained with {active.embedding_model!r}, "
                               f"not the loaded {embedder.model_id!r}, or its file is missing")
        predictions = _zero_shot_model(list(intents.values()), embedder.model_id).predict(list(texts), embed)
        details["source"] = "zero-shot"
    prototypes = _sentiment_anchors(embedder.model_id)
    rules = [triage.Rule(r.name, r.priority, r.intents or (), r.sentiments or (), r.requires_order_reference,
                         r.keywords or ()) for r in PriorityRule.objects.filter(is_active=True)]
    results = []
    for index, text in enumerate(texts):
        if predictions is None:
            intent = triage.Signal("", Confidence.LOW, {"source": "none", "note": "no intents and no trained model"})
            score = None
        elif predictions[index].out_of_scope:
            # "None of these": no intent (so no routing and no suggestion from a wrong one); the nearest
            # intent is kept in the details for staff.
            prediction = predictions[index]
            intent = triage.Signal("", Confidence.LOW, {**details, "confidence": round(prediction.confidence, 4),
                                                        "out_of_scope": True, "nearest_intent": prediction.label})
            score = prediction.confidence
        else:
            prediction = predictions[index]
            intent = triage.Signal(prediction.label, prediction.bucket.lower(),
                                   {**details, "confidence": round(prediction.confidence, 4)})
            score = prediction.confidence
        intent_row = intents.get(intent.value)
        mood = triage.sentiment(text, vectors[index], prototypes)
        results.append(TriageResult(
            intent=intent, intent_score=score, category=intent_row.category if intent_row else "",
            sentiment=mood, language=triage.language(text),
            priority=triage.priority(rules=rules, text=text, intent=intent if intent.value else None,
                                     sentiment_signal=mood, has_order_reference=has_order_reference[index]),
            vector=vectors[index], model_id=embedder.model_id,
        ))
    return results


# --- Triage (in the worker) ------------------------------------------------------------------------

def ticket_triage(ticket_id: int) -> Ticket | None:
    """Predict a ticket's intent, category, sentiment, language and priority, then queue a suggested reply.

    Claimed with a compare-and-set (``pending -> running``, or a claim older than
    the hard time limit); saved only while the claim is ours. A prediction staff
    already set is never overwritten. Low intent confidence sends the ticket to
    the human triage queue; a ticket the classifier finds out of scope goes there
    with no intent and gets no automatic suggestion. A transient model error raises ``TriageRetry`` (up to
    ``MAX_ATTEMPTS``); a permanent one marks triage failed and asks for a person.
    """
    now = timezone.now()
    claimed = Ticket.objects.filter(pk=ticket_id).filter(
        Q(triage_status=TriageStatus.PENDING) | Q(triage_status=TriageStatus.RUNNING, triage_claimed_at__lt=_stale_before(now))
    ).update(triage_status=TriageStatus.RUNNING, triage_claimed_at=now, triage_attempts=F("triage_attempts") + 1)
    if not claimed:
        return None  # gone, done, or someone else is on it
    ticket = Ticket.objects.get(pk=ticket_id)
    started = time.perf_counter()
    text = ticket_model_text(ticket)
    try:
        result = triage_predict([text], has_order_reference=[bool(ticket.order_reference)])[0]
    except inference.ModelError as exc:
        return _triage_failed(ticket, now, str(exc), permanent=exc.permanent)
    seconds = time.perf_counter() - started
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("queue").get(pk=ticket_id)
        if locked.triage_status != TriageStatus.RUNNING or locked.triage_claimed_at != now:
            logger.info("ticket %s: triage claim was taken over; result dropped", ticket_id)
            return None
        fields = _apply_predictions(locked, result)
        out_of_scope = locked.intent_set_by != SetBy.STAFF and bool(result.intent.details.get("out_of_scope"))
        intent_row = Intent.objects.select_related("queue").filter(name=locked.intent).first() if locked.intent else None
        fields += _route_to_queue(locked, intent_row.queue if intent_row else None, actor=None)
        if locked.intent_set_by != SetBy.STAFF:
            locked.needs_human_triage = result.intent.confidence == Confidence.LOW
        locked.triage_status, locked.triaged_at, locked.triage_seconds = TriageStatus.DONE, timezone.now(), seconds
        locked.triage_error, locked.embedding, locked.embedding_model = "", _vector_bytes(result.vector), result.model_id
        locked.save(update_fields=list(dict.fromkeys(fields + [
            "needs_human_triage", "triage_status", "triaged_at", "triage_seconds", "triage_error", "embedding",
            "embedding_model", "triage_details", "updated_at",
        ])))
        _event(locked, TicketEvent.Kind.TRIAGED, to_value=locked.intent or "(no intent)", comment=(
            f"intent {locked.intent or '-'} ({locked.intent_confidence or '-'}), sentiment {locked.sentiment}, "
            f"priority {locked.priority}, language {locked.language or '-'}"
            + ("; needs a person to set the intent" if locked.needs_human_triage else "")
            + ("; fits no known intent, so no reply is suggested" if out_of_scope else "")))
        if not out_of_scope:
            suggestion_request(ticket=locked, actor=None)
    return locked


def _apply_predictions(ticket: Ticket, result: TriageResult) -> list[str]:
    """Copy predictions onto the ticket, except those staff set; returns the changed fields."""
    fields: list[str] = []
    values = {
        "intent": (result.intent.value, result.intent.confidence, SetBy.MODEL),
        "category": (result.category, result.intent.confidence if result.category else "", SetBy.MODEL),
        "sentiment": (result.sentiment.value, result.sentiment.confidence, SetBy.MODEL),
        "language": (result.language.value, result.language.confidence, SetBy.MODEL),
        "priority": (result.priority.value, result.priority.confidence, SetBy.RULE),
    }
    for field, (value, confidence, set_by) in values.items():
        if getattr(ticket, f"{field}_set_by") == SetBy.STAFF:
            continue
        setattr(ticket, field, value)
        setattr(ticket, f"{field}_confidence", confidence)
        setattr(ticket, f"{field}_set_by", set_by if value else "")
        fields += [field, f"{field}_confidence", f"{field}_set_by"]
    if ticket.intent_set_by != SetBy.STAFF:
        ticket.intent_score = result.intent_score
        fields.append("intent_score")
    ticket.triage_details = {
        "intent": result.intent.details, "sentiment": result.sentiment.details,
        "language": result.language.details, "priority": result.priority.details,
    }
    return fields


def _triage_failed(ticket: Ticket, claimed_at: datetime, reason: str, *, permanent: bool) -> Ticket | None:
    if not permanent and ticket.triage_attempts < MAX_ATTEMPTS:
        Ticket.objects.filter(pk=ticket.pk, triage_status=TriageStatus.RUNNING, triage_claimed_at=claimed_at).update(
            triage_status=TriageStatus.PENDING, triage_error=reason[:2000])
        # Celery logs a retry's exception message: it is a log line like any other.
        raise TriageRetry(log_safe(reason, customer_name=ticket.customer_name))
    with transaction.atomic():
        updated = Ticket.objects.filter(pk=ticket.pk, triage_status=TriageStatus.RUNNING, triage_claimed_at=claimed_at).update(
            triage_status=TriageStatus.FAILED, triage_error=reason[:2000], needs_human_triage=True)
        if updated:
            _event(ticket, TicketEvent.Kind.TRIAGE_FAILED, comment=reason[:2000])
            logger.error("ticket %s: triage failed: %s", ticket.pk, log_safe(reason, customer_name=ticket.customer_name))
    return None


def ticket_retriage(*, ticket: Ticket, actor) -> Ticket:
    """Run triage again (after a failure, or a new model); staff-set predictions stay."""
    _require(actor)
    with transaction.atomic():
        updated = Ticket.objects.filter(pk=ticket.pk).exclude(triage_status=TriageStatus.RUNNING).update(
            triage_status=TriageStatus.PENDING, triage_attempts=0, triage_error="")
        if not updated:
            raise StateError("triage is running for this ticket right now")
        _dispatch_triage(ticket.pk)
    return Ticket.objects.get(pk=ticket.pk)


def support_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Recover work a lost worker or a lost message left behind (Celery beat runs this every minute).

    - Triage or a suggestion claimed for longer than the lease
      (``ECOMCMS_GENERATION_LEASE_SECONDS``) belonged to a worker that died or was
      killed: it goes back to pending and is sent again, or, once it has used up
      ``MAX_ATTEMPTS``, fails with the reason (a failed triage asks for a person).
    - Work pending for over a minute may have lost its task (a broker that was
      down when the customer wrote, or restarted): it is sent again. Extra tasks
      are harmless: the compare-and-set claim lets only one of them work.
    """
    now = now or timezone.now()
    lease = conf.ECOMCMS_GENERATION_LEASE_SECONDS
    expired, quiet = now - timedelta(seconds=lease), now - timedelta(seconds=60)
    counts = dict.fromkeys(("triage_requeued", "triage_failed", "triage_sent", "suggestions_requeued",
                            "suggestions_failed", "suggestions_sent"), 0)
    running = Ticket.objects.filter(triage_status=TriageStatus.RUNNING, triage_claimed_at__lt=expired)
    for ticket_id, claimed_at, attempts in running.values_list("pk", "triage_claimed_at", "triage_attempts"):
        claim = Ticket.objects.filter(pk=ticket_id, triage_status=TriageStatus.RUNNING, triage_claimed_at=claimed_at)
        with transaction.atomic():
            if attempts >= MAX_ATTEMPTS:
                reason = f"the worker stopped while triaging ({attempts} attempts); please triage by hand"
                if claim.update(triage_status=TriageStatus.FAILED, triage_error=reason, needs_human_triage=True):
                    _event(ticket_id, TicketEvent.Kind.TRIAGE_FAILED, comment=reason)
                    counts["triage_failed"] += 1
            elif claim.update(triage_status=TriageStatus.PENDING, triage_claimed_at=now):
                _event(ticket_id, TicketEvent.Kind.TRIAGE_REQUEUED,
                       comment=f"triage claim expired after {lease} s: the worker was lost")
                counts["triage_requeued"] += 1
                _dispatch_triage(ticket_id)
    waiting = Ticket.objects.filter(triage_status=TriageStatus.PENDING, created_at__lt=quiet).filter(
        Q(triage_claimed_at__isnull=True) | Q(triage_claimed_at__lt=quiet))
    for ticket_id in waiting.values_list("pk", flat=True)[:1000]:
        counts["triage_sent"] += _send("triage_ticket", ticket_id)

    generating = ReplySuggestion.objects.filter(status=ReplySuggestion.Status.GENERATING, claimed_at__lt=expired)
    for suggestion_id, claimed_at, attempts in generating.values_list("pk", "claimed_at", "attempts"):
        claim = ReplySuggestion.objects.filter(pk=suggestion_id, status=ReplySuggestion.Status.GENERATING,
                                               claimed_at=claimed_at)
        if attempts >= MAX_ATTEMPTS:
            counts["suggestions_failed"] += claim.update(
                status=ReplySuggestion.Status.FAILED,
                failure_reason=f"the worker stopped while writing this reply ({attempts} attempts)")
        elif claim.update(status=ReplySuggestion.Status.PENDING, claimed_at=now,
                          failure_reason=f"claim expired after {lease} s: the worker was lost"):
            counts["suggestions_requeued"] += 1
            counts["suggestions_sent"] += _send("suggest_reply", suggestion_id)
    pending = ReplySuggestion.objects.filter(status=ReplySuggestion.Status.PENDING, created_at__lt=quiet).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=quiet))
    for suggestion_id in pending.values_list("pk", flat=True)[:1000]:
        counts["suggestions_sent"] += _send("suggest_reply", suggestion_id)
    if any(counts[key] for key in ("triage_requeued", "triage_failed", "suggestions_requeued", "suggestions_failed")):
        logger.warning("support sweep recovered lost work: %s", counts)
    return counts


# --- Knowledge base ----------------------------------------------------------------------------------

def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def knowledge_refresh_embeddings() -> int:
    """Embed published articles and active canned responses whose text or model changed; returns how many.

    Runs in workers (lazily before retrieval, and after an edit in the admin); a
    compare-and-set on the text hash keeps an embedding of an older text from
    overwriting a newer one.
    """
    model_id = inference.get_embedder().model_id
    refreshed = 0
    for model in (KnowledgeArticle, CannedResponse):
        published = Q(is_published=True) if model is KnowledgeArticle else Q(is_active=True)
        stale = [row for row in model.objects.filter(published)
                 if row.embedding is None or row.embedding_model != model_id or row.embedding_hash != _text_hash(row.embedding_text())]
        if not stale:
            continue
        vectors = _embed([row.embedding_text() for row in stale])
        for row, vector in zip(stale, vectors):
            refreshed += model.objects.filter(pk=row.pk, title=row.title, body=row.body).update(
                embedding=_vector_bytes(vector), embedding_model=model_id, embedding_hash=_text_hash(row.embedding_text()))
    return refreshed


def knowledge_changed() -> None:
    """Queue an embedding refresh after an article or canned response was saved."""
    from support.tasks import embed_knowledge

    transaction.on_commit(lambda: embed_knowledge.delay())


def _ranked(rows: list, query: np.ndarray, model_id: str, limit: int, minimum: float) -> list[tuple[object, float]]:
    usable = [r for r in rows if r.embedding is not None and r.embedding_model == model_id]
    if not usable:
        return []
    matrix = np.stack([_vector(r.embedding) for r in usable])
    if matrix.shape[1] != query.shape[0]:
        return []
    similarities = matrix @ query
    order = np.argsort(-similarities)[:limit]
    return [(usable[i], float(similarities[i])) for i in order if similarities[i] >= minimum]


def knowledge_retrieve(query: np.ndarray, *, model_id: str, queue_id: int | None) -> list[prompts.Source]:
    """The best published articles and canned responses for a query vector, numbered for the prompt."""
    articles = _ranked(list(KnowledgeArticle.objects.filter(is_published=True)), query, model_id, TOP_ARTICLES,
                       MIN_ARTICLE_SIMILARITY)
    canned_rows = CannedResponse.objects.filter(is_active=True).filter(Q(queue__isnull=True) | Q(queue_id=queue_id))
    canned = _ranked(list(canned_rows), query, model_id, TOP_CANNED, MIN_CANNED_SIMILARITY)
    sources = [prompts.Source(n, "article", a.pk, a.title, a.body, round(s, 4), a.url)
               for n, (a, s) in enumerate(articles, start=1)]
    sources += [prompts.Source(len(sources) + n, "canned", c.pk, c.title, c.body, round(s, 4))
                for n, (c, s) in enumerate(canned, start=1)]
    return sources


# --- Suggested replies ---------------------------------------------------------------------------------

def suggestion_request(*, ticket: Ticket, actor) -> ReplySuggestion | None:
    """Queue a suggested reply to the ticket's latest customer message.

    A ready suggestion nobody decided on is superseded (it answered an older
    message); if one is already pending or generating, nothing is added (the
    unique constraint holds even against a concurrent request).
    """
    _require(actor)
    with transaction.atomic():
        if ReplySuggestion.objects.filter(ticket=ticket, status__in=[ReplySuggestion.Status.PENDING,
                                                                   ReplySuggestion.Status.GENERATING]).exists():
            return None
        ReplySuggestion.objects.filter(ticket=ticket, status=ReplySuggestion.Status.READY, decision="").update(
            status=ReplySuggestion.Status.SUPERSEDED)
        ReplySuggestion.objects.filter(ticket=ticket, status=ReplySuggestion.Status.FAILED).update(
            status=ReplySuggestion.Status.SUPERSEDED)
        try:
            with transaction.atomic():
                suggestion = ReplySuggestion.objects.create(ticket=ticket)
        except IntegrityError:
            return None
        transaction.on_commit(lambda: _send("suggest_reply", suggestion.pk))
    return suggestion


def suggestions_claim(*, limit: int, first_id: int | None = None, worker: str = "") -> list[ReplySuggestion]:
    """Claim up to ``limit`` pending suggestions (``first_id`` first) for one model call.

    On PostgreSQL ``SKIP LOCKED`` lets workers take disjoint batches; the
    compare-and-set update makes a claim exclusive on any database. A claim older
    than the hard time limit (a worker died) can be taken over.
    """
    now = timezone.now()
    claimable = Q(status=ReplySuggestion.Status.PENDING) | Q(status=ReplySuggestion.Status.GENERATING,
                                                              claimed_at__lt=_stale_before(now))
    with transaction.atomic():
        queued = ReplySuggestion.objects.filter(claimable).order_by("created_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True, of=("self",))
        ids = list(queued.values_list("pk", flat=True)[:limit * 4])
        if first_id in ids:
            ids.remove(first_id)
            ids.insert(0, first_id)
        ids = ids[:limit]
        ReplySuggestion.objects.filter(claimable, pk__in=ids).update(
            status=ReplySuggestion.Status.GENERATING, claimed_at=now, attempts=F("attempts") + 1,
            worker=worker or _worker_name())
    return list(ReplySuggestion.objects.filter(pk__in=ids, status=ReplySuggestion.Status.GENERATING, claimed_at=now)
                .select_related("ticket", "ticket__queue"))


@dataclass
class _Context:
    suggestion: ReplySuggestion
    prompt: inference.ChatPrompt
    sources: list[prompts.Source]
    mapping: dict[str, str]
    ticket_text: str
    customer: str
    based_on: Message | None
    quote: list[str]


def _thread_context(ticket: Ticket) -> tuple[str, list[prompts.ThreadMessage], dict[str, str], str, Message | None]:
    """The redacted subject and thread (no internal notes) with one placeholder numbering for all of it."""
    messages = list(ticket.messages.exclude(author_kind=Message.Author.NOTE).order_by("created_at", "pk"))
    order_ref = redact_text(f"Order reference: {ticket.order_reference}", customer_name=ticket.customer_name) \
        if ticket.order_reference else None
    parts = [(ticket.redacted_subject, ticket.redactions)] + [(m.redacted_body, m.redactions) for m in messages]
    if order_ref:
        parts.append((order_ref.text, order_ref.mapping))
    texts, mapping = thread_redaction(parts)
    thread = [prompts.ThreadMessage("customer" if m.author_kind == Message.Author.CUSTOMER else "staff", text)
              for m, text in zip(messages, texts[1:])]
    if order_ref:
        thread.insert(0, prompts.ThreadMessage("customer", texts[-1]))
    customer = next((p for p, v in mapping.items() if p.startswith("[NAME_") and v == ticket.customer_name), "")
    based_on = next((m for m in reversed(messages) if m.author_kind == Message.Author.CUSTOMER), None)
    return texts[0], thread, mapping, customer, based_on


def _query_text(subject: str, thread: list[prompts.ThreadMessage]) -> str:
    last = next((m.text for m in reversed(thread) if m.author == "customer"), "")
    return f"{subject}\n{last}"


def _relevant_sentences(sources: list[prompts.Source], query: np.ndarray, limit: int = 2) -> list[str]:
    """The best article's sentences closest to the customer's message, in the article's order."""
    article = next((s for s in sources if s.kind == "article"), None)
    if article is None:
        return []
    candidates = checks.sentences(article.body)[:40]
    if len(candidates) <= limit:
        return candidates
    similarities = _embed(candidates) @ query
    best = sorted(np.argsort(-similarities)[:limit].tolist())
    return [candidates[i] for i in best]


def suggestions_generate(batch: list[ReplySuggestion]) -> dict[str, int]:
    """Write the claimed suggestions in one model call, check them, and make them ready for staff.

    Runs the model outside any transaction; each result is saved with a
    compare-and-set on the claim, so a claim that was taken over cannot be
    overwritten by a late worker.
    """
    counts = {"ready": 0, "failed": 0, "requeued": 0}
    if not batch:
        return counts
    try:
        knowledge_refresh_embeddings()
        contexts = []
        queries = []
        for suggestion in batch:
            subject, thread, mapping, customer, based_on = _thread_context(suggestion.ticket)
            contexts.append((suggestion, subject, thread, mapping, customer, based_on))
            queries.append(_query_text(subject, thread))
        embeddings = inference.get_embedder().embed(queries)
        built: list[_Context] = []
        for (suggestion, subject, thread, mapping, customer, based_on), query in zip(contexts, embeddings.vectors):
            sources = knowledge_retrieve(query, model_id=embeddings.model_id, queue_id=suggestion.ticket.queue_id)
            prompt = prompts.build_reply_prompt(shop_name=conf.SUPPORT_SHOP_NAME, subject=subject, thread=thread,
                                                sources=sources, customer=customer)
            ticket_text = "\n".join([subject] + [m.text for m in thread if m.author == "customer"])
            quote = _relevant_sentences(sources, query)
            built.append(_Context(suggestion, prompt, sources, mapping, ticket_text, customer, based_on, quote))
        options = prompts.reply_options(conf.SUPPORT_REPLY_MAX_NEW_TOKENS)
        results = inference.get_generator().generate([c.prompt for c in built], options)
    except inference.ModelError as exc:
        return _suggestions_fail_or_requeue(batch, str(exc), permanent=exc.permanent)
    for context, result in zip(built, results):
        if _suggestion_save(context, result, options):
            counts["ready"] += 1
    return counts


def _suggestion_save(context: _Context, result: inference.Generation, options: inference.GenerationOptions) -> bool:
    suggestion = context.suggestion
    reply = checks.clean_reply(result.text, customer_placeholder=context.customer)
    flags = checks.reply_flags(reply, sources=context.sources, ticket_text=context.ticket_text, mapping=context.mapping,
                               shop_texts=[settings.DEFAULT_FROM_EMAIL, *conf.SUPPORT_REDACTION_KEEP])
    if checks.has_markup(result.text):
        flags.append({"code": "markup", "message": "The model wrote HTML or a script; it was removed from the reply."})
    articles = [s for s in context.sources if s.kind == "article"]
    cited = [s for s in articles if s.number in checks.cited_numbers(reply)]
    if reply and articles and not cited:
        # Small models rarely cite: quote the best article's most relevant sentences, and say so in the flags.
        reply = checks.with_quote(reply, articles[0], context.quote)
        cited = [articles[0]] if context.quote else []
    footer = checks.related_articles_footer(cited or articles[:1])
    redacted_text = f"{reply}\n\n{footer}".strip() if reply else ""
    with transaction.atomic():
        updated = ReplySuggestion.objects.filter(
            pk=suggestion.pk, status=ReplySuggestion.Status.GENERATING, claimed_at=suggestion.claimed_at,
        ).update(
            status=ReplySuggestion.Status.READY, redacted_text=redacted_text,
            text=restore(redacted_text, context.mapping), based_on=context.based_on,
            sources=[{"number": s.number, "kind": s.kind, "id": s.id, "title": s.title, "similarity": s.similarity}
                     for s in context.sources],
            citations=[s.id for s in cited], model_id=result.model_id, prompt_version=prompts.PROMPT_VERSION,
            options=options.as_dict(), tokens_in=result.tokens_in, tokens_out=result.tokens_out,
            seconds=result.seconds, flags=flags, failure_reason="", generated_at=timezone.now(),
        )
        if not updated:
            logger.info("suggestion %s was no longer ours; result dropped", suggestion.pk)
            return False
        suggestion.articles.set([s.id for s in articles])
        suggestion.canned_responses.set([s.id for s in context.sources if s.kind == "canned"])
        _event(suggestion.ticket_id, TicketEvent.Kind.SUGGESTED, to_value=f"suggestion {suggestion.pk}",
               comment=f"{len(flags)} flag(s); {result.tokens_out} tokens in {result.seconds:.1f} s")
        latest = Message.objects.filter(ticket_id=suggestion.ticket_id, author_kind=Message.Author.CUSTOMER) \
            .order_by("-created_at", "-pk").values_list("pk", flat=True).first()
        if context.based_on is not None and latest != context.based_on.pk:
            suggestion_request(ticket=suggestion.ticket, actor=None)  # the customer wrote again meanwhile
    return True


def _suggestions_fail_or_requeue(batch: list[ReplySuggestion], reason: str, *, permanent: bool) -> dict[str, int]:
    counts = {"ready": 0, "failed": 0, "requeued": 0}
    requeued = []
    for suggestion in batch:
        mine = ReplySuggestion.objects.filter(pk=suggestion.pk, status=ReplySuggestion.Status.GENERATING,
                                              claimed_at=suggestion.claimed_at)
        if permanent or suggestion.attempts >= MAX_ATTEMPTS:
            counts["failed"] += mine.update(status=ReplySuggestion.Status.FAILED, failure_reason=reason[:2000])
        elif mine.update(status=ReplySuggestion.Status.PENDING, failure_reason=reason[:2000], claimed_at=None):
            counts["requeued"] += 1
            requeued.append(suggestion.pk)
    for pk in requeued:
        _send("suggest_reply", pk, countdown=30)
    logger.warning("suggestions %s: %s", [s.pk for s in batch],
                   log_safe(reason, customer_name=[s.ticket.customer_name for s in batch]))
    return counts


def suggestions_process(*, first_id: int | None = None, batch_size: int | None = None, worker: str = "") -> dict[str, int]:
    """Claim one batch (``first_id`` first) and write it; a duplicate task finds nothing to claim."""
    batch = suggestions_claim(limit=batch_size or conf.ECOMCMS_GENERATION_BATCH_SIZE, first_id=first_id, worker=worker)
    return suggestions_generate(batch)


def _known_links_text(ticket: Ticket) -> str:
    """Where a link in a reply may come from: the knowledge base, the shop's own addresses, the customer's address."""
    articles = KnowledgeArticle.objects.filter(is_published=True).values_list("title", "body", "url")
    canned = CannedResponse.objects.filter(is_active=True).values_list("body", flat=True)
    return "\n".join([*("\n".join(row) for row in articles), *canned, settings.DEFAULT_FROM_EMAIL,
                      *conf.SUPPORT_REDACTION_KEEP, ticket.customer_email])


def reply_send_blockers(ticket: Ticket, text: str) -> list[dict]:
    """Why ``text`` cannot be sent to this ticket's customer (empty when it can)."""
    known = _known_links_text(ticket) if checks.links(text) else ""
    return checks.send_blockers(text, known_text=known)


def _confirmed_codes(confirm_flags) -> set[str]:
    """``["figure", "code"]``, ``"figure,code"`` or ``None`` as a set of flag codes."""
    if not confirm_flags:
        return set()
    items = [confirm_flags] if isinstance(confirm_flags, str) else list(confirm_flags)
    return {code for item in items for code in str(item).replace(",", " ").split()}


def _check_sendable(suggestion: ReplySuggestion, text: str, confirm_flags) -> None:
    """Refuse a reply that cannot go out as written, or whose suggestion's flags nobody confirmed by name."""
    blockers = reply_send_blockers(suggestion.ticket, text)
    if blockers:
        raise ReplyNotSendable(blockers)
    missing = [code for code in checks.flags_to_confirm(suggestion.flags) if code not in _confirmed_codes(confirm_flags)]
    if missing:
        raise FlagsNotConfirmed(missing, suggestion.flags)


def _decide(suggestion: ReplySuggestion, *, actor, decision: str, text: str = "", reason: str = "",
            status_after: str = TicketStatus.WAITING, confirm_flags=None) -> ReplySuggestion:
    _require(actor)
    text = checks.plain_text(text).strip() if text else text
    if decision != ReplySuggestion.Decision.REJECTED:
        _check_sendable(suggestion, text, confirm_flags)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=suggestion.ticket_id)
        now = timezone.now()
        updated = ReplySuggestion.objects.filter(pk=suggestion.pk, status=ReplySuggestion.Status.READY, decision="").update(
            decision=decision, decided_by=actor, decided_at=now, sent_text=text, reject_reason=reason)
        if updated != 1:
            current = ReplySuggestion.objects.get(pk=suggestion.pk)
            if current.decision:
                raise StateError(f"this suggestion was already {current.get_decision_display().lower()}"
                                 f"{' by ' + str(current.decided_by) if current.decided_by else ''}")
            raise StateError(f"this suggestion is {current.get_status_display().lower()}, not ready")
        current = ReplySuggestion.objects.get(pk=suggestion.pk)
        if decision != ReplySuggestion.Decision.REJECTED:
            _send_staff_reply(ticket, actor=actor, text=text, status_after=status_after, suggestion=current)
        _event(ticket, TicketEvent.Kind.DECISION, actor=actor, from_value=f"suggestion {suggestion.pk}",
               to_value=decision, comment=reason)
    return current


def suggestion_accept(*, suggestion: ReplySuggestion, actor, status_after: str = TicketStatus.WAITING,
                      confirm_flags=None) -> ReplySuggestion:
    """Send the suggested reply as it is: emailed to the customer and added to the thread.

    Refused (``ReplyNotSendable``) while it has an unfilled placeholder or a link absent
    from the knowledge base, and (``FlagsNotConfirmed``) unless ``confirm_flags`` names
    every other flag of the suggestion.
    """
    return _decide(suggestion, actor=actor, decision=ReplySuggestion.Decision.ACCEPTED, text=suggestion.text,
                   status_after=status_after, confirm_flags=confirm_flags)


def suggestion_edit_and_send(*, suggestion: ReplySuggestion, actor, text: str,
                             status_after: str = TicketStatus.WAITING, confirm_flags=None) -> ReplySuggestion:
    """Send the staff member's edit of the suggestion; both texts are kept (what was suggested, what was sent).

    The edited text is checked like an accepted one, and the suggestion's flags need the same confirmation.
    """
    text = _clean_text(text, field="reply", limit=MAX_BODY)
    if " ".join(text.split()) == " ".join(suggestion.text.split()):
        return suggestion_accept(suggestion=suggestion, actor=actor, status_after=status_after,
                                 confirm_flags=confirm_flags)
    return _decide(suggestion, actor=actor, decision=ReplySuggestion.Decision.EDITED, text=text,
                   status_after=status_after, confirm_flags=confirm_flags)


def suggestion_reject(*, suggestion: ReplySuggestion, actor, reason: str) -> ReplySuggestion:
    """Refuse the suggestion, with a reason (kept for improving prompts and sources). Nothing is sent."""
    reason = (reason or "").strip()
    if not reason:
        raise SupportError("a reason is required to reject a suggestion")
    return _decide(suggestion, actor=actor, decision=ReplySuggestion.Decision.REJECTED, reason=reason[:2000])


# --- Intent classifier training --------------------------------------------------------------------------

def intent_training_rows() -> tuple[list[str], list[str], dict]:
    """Texts and labels from IntentLabel rows: a ticket's latest label only, imported rows as they are."""
    latest_per_ticket: dict[int, IntentLabel] = {}
    texts, labels = [], []
    counts = {"staff": 0, "import": 0}
    for label in IntentLabel.objects.order_by("created_at", "pk").iterator():
        if label.ticket_id is not None:
            latest_per_ticket[label.ticket_id] = label
        elif label.text.strip():
            texts.append(label.text)
            labels.append(label.intent)
            counts[label.source] = counts.get(label.source, 0) + 1
    for label in latest_per_ticket.values():
        if label.text.strip():
            texts.append(label.text)
            labels.append(label.intent)
            counts[label.source] = counts.get(label.source, 0) + 1
    return texts, labels, counts


def intent_model_train(*, actor=None, activate: bool = True) -> IntentModel:
    """Train the intent classifier on every label (staff overrides and imports) and save it.

    Intents with fewer than two examples are left out (cross-validation needs
    two) and listed in the metrics. The artifact goes under ``DATA_DIR/support``.
    """
    _require(actor, "ecomcms_support.add_intentmodel")
    texts, labels, counts = intent_training_rows()
    per_label: dict[str, int] = {}
    for label in labels:
        per_label[label] = per_label.get(label, 0) + 1
    dropped = sorted(label for label, n in per_label.items() if n < 2)
    rows = [(t, y) for t, y in zip(texts, labels) if per_label[y] >= 2]
    if len({y for _, y in rows}) < 2:
        raise SupportError(f"need at least two intents with two labelled examples each; have {len(rows)} usable "
                           f"examples{' (too few: ' + ', '.join(dropped) + ')' if dropped else ''}")
    embedder = inference.get_embedder()
    started = time.perf_counter()
    classifier = IntentClassifier(open_traffic=conf.SUPPORT_INTENT_OPEN_TRAFFIC).fit(
        [t for t, _ in rows], [y for _, y in rows], _embed)
    seconds = time.perf_counter() - started
    folder = Path(conf.ECOMCMS_DATA_DIR) / "support" / "intent-models"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"intent-{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.joblib"
    classifier.save(path)
    with transaction.atomic():
        model = IntentModel.objects.create(
            embedding_model=embedder.model_id, n_train=len(rows), labels=classifier.labels, threshold=classifier.threshold,
            artifact=str(path), trained_by=actor, metrics={
                "cv_accuracy": round(classifier.cv_accuracy, 4), "high_cutoff": round(classifier.cutoffs.high, 4),
                "train_seconds": round(seconds, 1), "sources": counts, "dropped_intents": dropped,
                "mix": classifier.mix, "open_rule": {
                    "min_confidence": classifier.open_rule.min_confidence,
                    "min_similarity": classifier.open_rule.min_similarity,
                    "open_traffic": classifier.open_traffic},
            },
        )
        if activate:
            intent_model_activate(model=model, actor=actor)
    return model


def intent_model_activate(*, model: IntentModel, actor) -> IntentModel:
    _require(actor, "ecomcms_support.change_intentmodel")
    with transaction.atomic():
        IntentModel.objects.filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
        IntentModel.objects.filter(pk=model.pk).update(is_active=True)
    model.refresh_from_db()
    return model


def intent_model_retrain_if_needed(*, min_new_labels: int = 20) -> IntentModel | None:
    """Retrain when enough staff labels arrived since the active model (Celery beat, daily)."""
    active = IntentModel.objects.filter(is_active=True).first()
    new = IntentLabel.objects.filter(source=IntentLabel.Source.STAFF)
    if active is not None:
        new = new.filter(created_at__gt=active.created_at)
    if new.count() < min_new_labels:
        return None
    try:
        return intent_model_train(actor=None)
    except SupportError as exc:
        logger.info("intent retraining skipped: %s", exc)
        return None


def intent_labels_import(*, rows: list[tuple[str, str]], categories: dict[str, str] | None = None,
                         create_intents: bool = True) -> int:
    """Store labelled texts (redacted first) as import labels; unknown intents join the taxonomy."""
    labels = [IntentLabel(text=redact_text(text).text, intent=intent, source=IntentLabel.Source.IMPORT)
              for text, intent in rows]
    categories = categories or {}
    with transaction.atomic():
        if create_intents:
            known = set(Intent.objects.values_list("name", flat=True))
            Intent.objects.bulk_create([Intent(name=name, category=categories.get(name, ""))
                                        for name in sorted({i for _, i in rows} - known)], ignore_conflicts=True)
        IntentLabel.objects.bulk_create(labels, batch_size=1000)
    return len(labels)


def ticket_label_import(*, ticket: Ticket, intent: str) -> IntentLabel:
    """A label that came with an imported ticket: kept for training, and set on the ticket as a person's."""
    Intent.objects.get_or_create(name=intent)
    label = IntentLabel.objects.create(ticket=ticket, text=ticket_model_text(ticket), intent=intent,
                                       source=IntentLabel.Source.IMPORT)
    Ticket.objects.filter(pk=ticket.pk).update(intent=intent, intent_confidence=Confidence.HIGH,
                                               intent_set_by=SetBy.STAFF)
    return label
