"""Customer data requests: export everything stored about a customer, or erase it, and log both.

The admin actions and the ``customer_data`` command call these two functions.
Both need their own permission (``privacy.export_customer_data``,
``privacy.erase_customer_data``); ``actor=None`` is a management command, whose
operator already has the server. Each request writes a ``CustomerDataRequest``
audit row with keyed hashes of the identifiers, never the identifiers.

Erasure removes the person and keeps the statistics. In one transaction:

* tickets: email, name and customer id become stable pseudonyms
  (``erased-<hash>@erased.invalid``), subject and order reference ``[erased]``,
  the redaction mapping, the embedding of the text and the customer's access
  token go; status, queue, SLA times and every prediction stay, so ticket
  counts per intent, status and priority do not move;
* messages (customer, staff and notes): body and redacted body ``[erased]``,
  mapping emptied; author kind and times stay (first-response statistics);
  the files that came with the customer's emails (attachments) are deleted;
* suggested replies: every text (suggested, model-written, sent, rejection
  reason, failure) ``[erased]``, flag messages erased but their codes kept;
  status, decision, timing and provenance stay, so acceptance rates per intent
  do not move. A suggestion still pending or being written is failed, so a
  worker cannot save a reply written from the old text afterwards;
* triage still pending or running is failed for the same reason;
* ticket history: comments ``[erased]``; kinds, actors, values and times stay;
* intent labels: the (redacted) text goes and the row stays, so label counts
  per intent stay; training skips labels without text;
* shopper events: customer id, session id and order id become per-value
  pseudonyms and search text ``[erased]``; product, type, time, quantity and
  price stay, so popularity, co-purchase and per-customer aggregates are
  computed exactly as before;
* trained recommender versions: the customer id in each artifact becomes its
  pseudonym (a new file; the old one is deleted after commit), so the id no
  longer gets personal recommendations;
* the admin's change log: a ticket's description (its subject) goes;
* emails taken in from the support mailbox (on the customer's tickets, or from the address):
  sender becomes its pseudonym, subject ``[erased]``, the threading headers and the reason of a
  quarantined one go; the outcome, size and times stay, and so does the key (a Message-ID), which
  keeps the same email from becoming a ticket again. The emails themselves are on the mail
  server: delete them there.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from ecomcms import errors
from ecomcms.errors import require_permission
from ecomcms.models import Adapter
from privacy import selectors
from privacy.models import CustomerDataRequest
from privacy.pseudonyms import ERASED, Customer, InvalidIdentifier, is_pseudonym, pseudonym
from recommender.artifacts import Artifact, artifact_path
from recommender.models import Event, ModelVersion, VersionStatus
from recommender.services import STALE_TRAINING
from support.intent_finetuning import PURPOSE as INTENT_PURPOSE
from support.models import (
    Attachment,
    InboundEmail,
    IntentLabel,
    Message,
    ReplySuggestion,
    Ticket,
    TicketEvent,
    TriageQueue,
    TriageStatus,
)
from support.privacy import log_safe

logger = logging.getLogger(__name__)

EXPORT_PERMISSION = "ecomcms_privacy.export_customer_data"
ERASE_PERMISSION = "ecomcms_privacy.erase_customer_data"
IN_CHUNK = 500  # values per `__in` query: well under SQLite's 999 variables
STOPPED_BY_ERASURE = "stopped: the customer's data was erased"


class PrivacyError(errors.ServiceError):
    """A request the privacy workflow refuses; the message is for the person who made it."""


class NotAllowed(PrivacyError, errors.NotAllowed):
    """The actor lacks the export or erase permission."""


class NothingMatches(PrivacyError, errors.NotFound):
    """No stored data matches the customer named."""


def _customer(email: str | None, customer_id: str | None) -> Customer:
    try:
        return Customer.of(email=email, customer_id=customer_id)
    except InvalidIdentifier as exc:
        raise PrivacyError(str(exc)) from None


def _chunks(values: list, size: int = IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _nothing_matches(customer: Customer) -> NothingMatches:
    named = " or ".join(part for part, given in (("email address", customer.email),
                                                 ("customer id", customer.customer_id)) if given)
    return NothingMatches(f"no ticket or shopper event matches this {named}; nothing was changed")


def _safe_reason(reason: str, names: list[str]) -> str:
    """The reason as stored: emails, phones, cards ... and the customer's names taken out."""
    return log_safe(reason, customer_name=names)


def _record(kind: str, customer: Customer, *, actor, via: str, reason: str, counts: dict,
            tickets: list[str]) -> CustomerDataRequest:
    return CustomerDataRequest.objects.create(
        kind=kind, email_hash=customer.email_hash, customer_id_hash=customer.customer_id_hash, actor=actor,
        via=via, reason=reason, counts=counts, tickets=tickets,
    )


# --- Export -----------------------------------------------------------------------------------------

def customer_data_export(*, email: str | None = None, customer_id: str | None = None, actor=None,
                         reason: str = "", via: str = CustomerDataRequest.Via.CODE) -> dict:
    """Everything stored about a customer as a JSON-serialisable document; the export is audited.

    Refuses when neither identifier is given or nothing matches (``NothingMatches``).
    """
    require_permission(actor, EXPORT_PERMISSION, error=NotAllowed)
    customer = _customer(email, customer_id)
    document = selectors.customer_data_document(customer)
    if not document["tickets"] and not document["events"]:
        raise _nothing_matches(customer)
    names = sorted({t["customer"]["name"] for t in document["tickets"] if t["customer"]["name"]})
    record = _record(CustomerDataRequest.Kind.EXPORT, customer, actor=actor, via=via,
                     reason=_safe_reason((reason or "").strip(), names), counts=document["counts"],
                     tickets=[t["id"] for t in document["tickets"]])
    document["request"]["audit_id"] = record.pk
    logger.info("customer data exported (request #%s via %s): %s", record.pk, via, document["counts"])
    return document


# --- Erasure -----------------------------------------------------------------------------------------

@dataclass
class ErasureSummary:
    request: CustomerDataRequest
    counts: dict[str, int]
    warnings: list[str] = field(default_factory=list)


def _refuse_while_training() -> None:
    """A training that read the events before the erasure would write the customer id into its artifact."""
    running = ModelVersion.objects.filter(status=VersionStatus.TRAINING,
                                          started_at__gte=timezone.now() - STALE_TRAINING).first()
    if running is not None:
        raise PrivacyError(f"recommender version #{running.pk} is being trained from the shopper events right now; "
                           "erase once it has finished (its artifact would keep the customer id)")


def _erase_tickets(tickets: list[Ticket]) -> dict[str, int]:
    counts = {"tickets": 0, "triage_stopped": 0}
    for ticket in tickets:
        ticket.customer_email = pseudonym("email", ticket.customer_email)
        ticket.customer_name = ""
        if ticket.customer_id and not is_pseudonym(ticket.customer_id):
            ticket.customer_id = pseudonym("customer", ticket.customer_id)
        ticket.order_reference = ERASED if ticket.order_reference else ""  # "names an order" still holds
        ticket.subject = ticket.redacted_subject = ERASED
        ticket.redactions = {}
        ticket.access_token_hash = ""  # no token hashes to "": the customer's link stops working
        ticket.embedding, ticket.embedding_model = None, ""
        ticket.triage_error = ERASED if ticket.triage_error else ""
        if ticket.triage_status in (TriageStatus.PENDING, TriageStatus.RUNNING):
            # A worker holding the claim saves only while it is still "running": its result is dropped.
            ticket.triage_status, ticket.triage_error = TriageStatus.FAILED, STOPPED_BY_ERASURE
            counts["triage_stopped"] += 1
        ticket.save(update_fields=[
            "customer_email", "customer_name", "customer_id", "order_reference", "subject", "redacted_subject",
            "redactions", "access_token_hash", "embedding", "embedding_model", "triage_error", "triage_status",
            "updated_at",
        ])
        counts["tickets"] += 1
    ids = [t.pk for t in tickets]
    counts["messages"] = Message.objects.filter(ticket_id__in=ids).update(body=ERASED, redacted_body=ERASED,
                                                                         redactions={})
    counts["attachments"], _ = Attachment.objects.filter(ticket_id__in=ids).delete()  # the files themselves
    counts["suggestions"] = 0
    counts["suggestions_stopped"] = 0
    open_statuses = (ReplySuggestion.Status.PENDING, ReplySuggestion.Status.GENERATING)
    for suggestion in ReplySuggestion.objects.filter(ticket_id__in=ids).select_for_update():
        for name in ("text", "redacted_text", "sent_text", "reject_reason", "failure_reason"):
            if getattr(suggestion, name):
                setattr(suggestion, name, ERASED)
        suggestion.flags = [{"code": flag.get("code", ""), "message": ERASED} for flag in suggestion.flags or []
                            if isinstance(flag, dict)]
        if suggestion.status in open_statuses:
            suggestion.status, suggestion.failure_reason = ReplySuggestion.Status.FAILED, STOPPED_BY_ERASURE
            counts["suggestions_stopped"] += 1
        suggestion.save(update_fields=["text", "redacted_text", "sent_text", "reject_reason", "failure_reason", "flags",
                                       "status"])
        counts["suggestions"] += 1
    counts["ticket_events"] = TicketEvent.objects.filter(ticket_id__in=ids).exclude(comment="").update(comment=ERASED)
    counts["intent_labels"] = IntentLabel.objects.filter(ticket_id__in=ids).exclude(text="").update(text="")
    return counts


def _erase_inbound_emails(customer: Customer, ticket_ids: list[int]) -> int:
    match = Q(ticket_id__in=ticket_ids)
    if customer.email:
        match |= Q(from_address__iexact=customer.email)
    erased = 0
    for row in InboundEmail.objects.filter(match).select_for_update():
        row.from_address = pseudonym("email", row.from_address) if row.from_address else ""
        row.subject = ERASED if row.subject else ""
        row.message_id, row.in_reply_to, row.references = "", [], []
        if row.outcome == InboundEmail.Outcome.QUARANTINED:
            row.reason = ERASED  # it quotes the From header
        row.save(update_fields=["from_address", "subject", "message_id", "in_reply_to", "references", "reason"])
        erased += 1
    return erased


_EVENT_FIELDS = {"customer_id": "customer", "session_id": "session", "order_id": "order"}


def _pseudonymise_events(event_ids: list[int]) -> dict[str, int]:
    """Replace each identifier by its pseudonym, value by value, so groupings (customers, baskets) survive."""
    by_value: dict[str, dict[str, list[int]]] = {name: defaultdict(list) for name in _EVENT_FIELDS}
    searches: list[int] = []
    for chunk in _chunks(event_ids):
        rows = Event.objects.filter(pk__in=chunk).values_list("pk", "customer_id", "session_id", "order_id", "query")
        for pk, customer_id, session_id, order_id, query in rows:
            for name, value in (("customer_id", customer_id), ("session_id", session_id), ("order_id", order_id)):
                if value and not is_pseudonym(value):
                    by_value[name][value].append(pk)
            if query:
                searches.append(pk)
    for name, values in by_value.items():
        for value, pks in values.items():
            replacement = pseudonym(_EVENT_FIELDS[name], value)
            for chunk in _chunks(pks):
                Event.objects.filter(pk__in=chunk).update(**{name: replacement})
    for chunk in _chunks(searches):
        Event.objects.filter(pk__in=chunk).update(query=ERASED)
    return {"events": len(event_ids), "sessions": len(by_value["session_id"]), "orders": len(by_value["order_id"])}


def _rewrite_artifacts(customer_id: str, written: list[Path], replaced: list[Path]) -> int:
    """Put the pseudonym in place of ``customer_id`` in every stored recommender artifact that knows it.

    Each such artifact is written anew under a new name (artifacts are cached per
    process by path, so a new path is read fresh by every process); the old files
    are deleted once the transaction commits. Returns how many versions changed.
    """
    replacement = pseudonym("customer", customer_id)
    changed = 0
    for version in ModelVersion.objects.exclude(artifact="").select_for_update().order_by("pk"):
        path = artifact_path(version.artifact)
        if not path.is_file():
            continue
        with np.load(path, allow_pickle=False) as data:  # one array read, not the whole artifact
            if customer_id not in set(data["customer_ids"].tolist()):
                continue
        artifact = Artifact.load(path)
        ids = artifact.customer_ids.tolist()
        # A new array: the old one's fixed string width may be shorter than the pseudonym.
        artifact.customer_ids = np.array([replacement if value == customer_id else value for value in ids], dtype=str)
        name = f"version-{version.pk}-{uuid.uuid4().hex[:8]}.npz"
        artifact.save(artifact_path(name))
        written.append(artifact_path(name))
        ModelVersion.objects.filter(pk=version.pk).update(artifact=name)
        replaced.append(path)
        changed += 1
    return changed


def _scrub_admin_log(tickets: list[Ticket]) -> int:
    """The admin's change log describes a ticket by ``str(ticket)``, which carries its subject."""
    types = [ContentType.objects.get_for_model(Ticket),
             ContentType.objects.get_for_model(TriageQueue, for_concrete_model=False)]
    scrubbed = 0
    for ticket in tickets:
        scrubbed += LogEntry.objects.filter(content_type__in=types, object_id=str(ticket.pk)).update(
            object_repr=f"{ticket.public_id}: {ERASED}")
    return scrubbed


def _intent_models_trained_on(ticket_ids: list[int]) -> int:
    """Versions of the intent classifier that may have trained on these tickets' texts: a label, or a sent
    suggestion (a confirmed intent, support.intent_finetuning), older than the version."""
    labelled = IntentLabel.objects.filter(ticket_id__in=ticket_ids).exclude(text="").aggregate(
        first=Min("created_at"))["first"]
    confirmed = ReplySuggestion.objects.filter(ticket_id__in=ticket_ids, decided_at__isnull=False).exclude(
        decision=ReplySuggestion.Decision.REJECTED).aggregate(first=Min("decided_at"))["first"]
    earliest = min((t for t in (labelled, confirmed) if t is not None), default=None)
    return Adapter.objects.filter(purpose=INTENT_PURPOSE, created_at__gte=earliest).count() if earliest else 0


def customer_data_erase(*, email: str | None = None, customer_id: str | None = None, actor, reason: str,
                        via: str = CustomerDataRequest.Via.CODE) -> ErasureSummary:
    """Erase a customer's personal data across support and the recommender, keeping every aggregate.

    What goes and what stays is in this module's docstring. All of it happens in
    one transaction with the audit row; a failure changes nothing. Refuses without
    a reason, without an identifier, when nothing matches, and while a recommender
    training is running (its artifact would keep the customer id).
    """
    require_permission(actor, ERASE_PERMISSION, error=NotAllowed)
    reason = (reason or "").strip()
    if not reason:
        raise PrivacyError("a reason is required (for example the customer's request and its date)")
    customer = _customer(email, customer_id)
    if customer.customer_id:
        _refuse_while_training()
    written: list[Path] = []
    replaced: list[Path] = []
    warnings: list[str] = []
    try:
        with transaction.atomic():
            tickets = list(selectors.customer_tickets(customer).select_for_update())
            sessions = selectors.customer_sessions(customer)
            event_ids = list(selectors.customer_events(customer, sessions).values_list("pk", flat=True))
            if not tickets and not event_ids:
                raise _nothing_matches(customer)
            names = sorted({t.customer_name for t in tickets if t.customer_name})
            public_ids = [t.public_id for t in tickets]
            ticket_ids = [t.pk for t in tickets]
            retrain = _intent_models_trained_on(ticket_ids)
            counts = _erase_tickets(tickets)
            counts["inbound_emails"] = _erase_inbound_emails(customer, ticket_ids)
            counts.update(_pseudonymise_events(event_ids))
            counts["recommender_versions"] = (_rewrite_artifacts(customer.customer_id, written, replaced)
                                              if customer.customer_id else 0)
            counts["admin_log_entries"] = _scrub_admin_log(tickets)
            if retrain:
                warnings.append(
                    f"{retrain} intent model version(s) were trained after this customer's tickets were labelled and "
                    "may hold their redacted text's embeddings: train a new version (manage.py train_intents), then "
                    "delete the older versions (Runtime > Adapters, support.intent) and their folders under "
                    "DATA_DIR/adapters/")
            record = _record(CustomerDataRequest.Kind.ERASE, customer, actor=actor, via=via,
                             reason=_safe_reason(reason, names), counts=counts, tickets=public_ids)
            transaction.on_commit(lambda: [path.unlink(missing_ok=True) for path in replaced])
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    logger.info("customer data erased (request #%s via %s): %s", record.pk, via, counts)
    for warning in warnings:
        logger.warning("customer data erasure #%s: %s", record.pk, warning)
    return ErasureSummary(request=record, counts=counts, warnings=warnings)
