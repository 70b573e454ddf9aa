"""Inbound email: each email in the support mailbox becomes a ticket or a reply on one, exactly once.

The poll reads the emails not marked done (by UID), takes each in inside one transaction
(an ``InboundEmail`` row keyed on its Message-ID, plus the ticket or the customer message),
and marks it done on the server only after that commit. A crash between the commit and the
mark leaves the email on the to-do list; the next poll finds its key taken and only marks
it done, so a worker restart never makes a second ticket. Nothing is deleted from the server.

Tickets and replies go through ``ticket_create`` and ``customer_reply``, so email gets the
same redaction, triage and suggested replies as the API. Bounces, auto-replies and the shop's
own mail are stored as skipped with the reason and never answered; an email without a usable
sender is copied to the quarantine folder; an oversized or broken one becomes a ticket with
what could be read and a note saying what is missing. Attachments are stored with the customer's
message in the same transaction, within the type and size limits; the ones left out are named in
an internal note, and the email is taken in all the same.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, transaction

from support import inbound
from support.conf import conf
from support.imap import Mailbox, MailboxError, MailboxSettings
from support.models import Attachment, Channel, InboundEmail, Message, Ticket, TicketStatus
from support.privacy import redact_text
from support.services._base import MAX_BODY, MAX_SUBJECT, SupportError
from support.services.tickets import customer_reply, ticket_create

logger = logging.getLogger(__name__)

_TICKET_IN_SUBJECT = re.compile(r"\[(T-[A-Z2-9]{8})\]")
_NOTE_ROOM = 500  # characters kept free at the end of a body for our own note


def mailbox_settings() -> MailboxSettings | None:
    """The mailbox from the settings, or None while inbound email is off (``SUPPORT_IMAP_HOST`` empty)."""
    if not conf.SUPPORT_IMAP_HOST:
        return None
    return MailboxSettings(
        host=conf.SUPPORT_IMAP_HOST, port=conf.SUPPORT_IMAP_PORT, user=conf.SUPPORT_IMAP_USER,
        password=conf.SUPPORT_IMAP_PASSWORD, mailbox=conf.SUPPORT_IMAP_MAILBOX, use_ssl=conf.SUPPORT_IMAP_SSL,
        starttls=conf.SUPPORT_IMAP_STARTTLS, quarantine=conf.SUPPORT_IMAP_QUARANTINE_MAILBOX,
        timeout=float(conf.SUPPORT_IMAP_TIMEOUT),
    )


def _own_addresses() -> set[str]:
    own = {settings.DEFAULT_FROM_EMAIL, conf.SUPPORT_IMAP_USER, getattr(settings, "SERVER_EMAIL", "")}
    return {address.strip().lower() for address in own if address and "@" in address}


def _already_received(mail: inbound.InboundMail) -> InboundEmail | None:
    """The row of this very email if it was taken in before. A different email reusing the Message-ID
    (a broken or hostile client) is not a duplicate: its key gets its fingerprint appended."""
    row = InboundEmail.objects.filter(message_key=mail.key).first()
    if row is None or row.fingerprint == mail.fingerprint:
        return row
    mail.key = f"{mail.key[:200]}#{mail.fingerprint[:16]}"
    return InboundEmail.objects.filter(message_key=mail.key).first()


def _thread_ticket(mail: inbound.InboundMail) -> Ticket | None:
    """The ticket this email answers: by In-Reply-To/References (our replies' and the customer's earlier
    emails' Message-IDs), else by the ``[T-XXXXXXXX]`` our replies put in the subject when the sender is
    the ticket's customer."""
    refs = [*mail.in_reply_to, *reversed(mail.references)]
    if refs:
        known = {row["message_key"]: row["ticket_id"] for row in InboundEmail.objects.filter(
            message_key__in=refs, ticket__isnull=False).values("message_key", "ticket_id")}
        known.update({row["email_message_id"]: row["ticket_id"] for row in Message.objects.filter(
            email_message_id__in=refs).values("email_message_id", "ticket_id")})
        for ref in refs:
            if ref in known:
                return Ticket.objects.get(pk=known[ref])
    match = _TICKET_IN_SUBJECT.search(mail.subject)
    if match:
        return Ticket.objects.filter(public_id=match.group(1), customer_email__iexact=mail.from_address).first()
    return None


def _body(mail: inbound.InboundMail, *, size: int, truncated: bool, reply: bool) -> str:
    text = inbound.strip_quoted_history(mail.text) if reply else mail.text
    notes = []
    if len(text) > MAX_BODY - _NOTE_ROOM:
        text = text[:MAX_BODY - _NOTE_ROOM].rstrip()
        notes.append("the text was cut to fit a ticket")
    if truncated:
        notes.append(f"the email was {size:,} bytes, over the {conf.SUPPORT_IMAP_MAX_BYTES:,}-byte limit, so "
                     "only its start was read (attachments and the end may be missing)")
    if not text.strip():
        text = "(The email had no readable text.)"
    if notes:
        text += "\n\n[Support desk note: " + "; ".join(notes) + ". The whole email stays in the mailbox.]"
    return text


def _attachments_store(mail: inbound.InboundMail, message: Message, *, truncated: bool) -> list[str]:
    """Store the email's files with the customer's message, within the limits; returns why any were not stored.

    Each file over ``SUPPORT_ATTACHMENT_MAX_BYTES``, of a type not in ``SUPPORT_ATTACHMENT_TYPES``, or past
    ``SUPPORT_ATTACHMENT_MAX_TOTAL_BYTES`` for the email is left out and named; the email itself is always taken
    in. A cut email (over ``SUPPORT_IMAP_MAX_BYTES``) has no file stored: what was read of them may be partial.
    """
    if not mail.attachments:
        return []
    if truncated:
        return [f"{a.filename}: the email was cut at the size limit" for a in mail.attachments]
    allowed = {t.strip().lower() for t in conf.SUPPORT_ATTACHMENT_TYPES}
    per_file, per_email = int(conf.SUPPORT_ATTACHMENT_MAX_BYTES), int(conf.SUPPORT_ATTACHMENT_MAX_TOTAL_BYTES)
    refused, total = [], 0
    for attachment in mail.attachments:
        size = len(attachment.data)
        if attachment.content_type.lower() not in allowed:
            refused.append(f"{attachment.filename}: type {attachment.content_type} is not accepted")
        elif size > per_file:
            refused.append(f"{attachment.filename}: {size:,} bytes, over the {per_file:,}-byte limit per file")
        elif total + size > per_email:
            refused.append(f"{attachment.filename}: over the {per_email:,}-byte limit for the files of one email")
        else:
            total += size
            Attachment.objects.create(
                ticket_id=message.ticket_id, message=message, filename=attachment.filename,
                content_type=attachment.content_type, size=size, data=attachment.data,
                sha256=hashlib.sha256(attachment.data).hexdigest())
    return refused


def _refused_attachments_note(ticket: Ticket, refused: list[str]) -> None:
    """An internal note (never emailed, never in a prompt) naming the files that were not stored."""
    body = ("Attachments not stored: " + "; ".join(refused)
            + ". The whole email stays in the support mailbox.")[:MAX_BODY]
    redacted = redact_text(body, customer_name=ticket.customer_name)
    Message.objects.create(ticket=ticket, author_kind=Message.Author.NOTE, body=body, redacted_body=redacted.text,
                           redactions=redacted.mapping)


def _take_in(mail: inbound.InboundMail, row: InboundEmail, *, size: int, truncated: bool) -> None:
    """Inside the transaction that inserted ``row``: decide what the email becomes and make it."""
    if mail.skip_reason:
        row.outcome, row.reason = InboundEmail.Outcome.SKIPPED, mail.skip_reason
        return
    if mail.from_address.lower() in _own_addresses():
        row.outcome, row.reason = InboundEmail.Outcome.SKIPPED, "loop: sent from the shop's own address"
        return
    try:
        validate_email(mail.from_address)
    except ValidationError:
        row.outcome = InboundEmail.Outcome.QUARANTINED
        row.reason = f"no usable sender address (From: {mail.from_address[:100] or 'missing'})"
        return
    notes = [f"oversized: {size} bytes, first {conf.SUPPORT_IMAP_MAX_BYTES} read"] if truncated else []
    if mail.defects:
        notes.append("malformed: " + ", ".join(mail.defects[:10]))
    ticket = _thread_ticket(mail)
    if ticket is not None and ticket.status != TicketStatus.CLOSED:
        body = _body(mail, size=size, truncated=truncated, reply=True)
        row.customer_message = customer_reply(ticket=ticket, body=body)
        row.outcome, row.ticket = InboundEmail.Outcome.REPLY, ticket
    else:
        if ticket is not None:
            notes.append(f"a reply to {ticket.public_id}, which is closed: a new ticket")
        subject = (mail.subject or "(no subject)")[:MAX_SUBJECT]
        row.ticket, _token = ticket_create(  # the customer answers by email: the API token is not needed
            email=mail.from_address, name=mail.from_name, subject=subject, channel=Channel.EMAIL,
            body=_body(mail, size=size, truncated=truncated, reply=False))
        row.customer_message = row.ticket.messages.order_by("pk").first()
        row.outcome = InboundEmail.Outcome.TICKET
    refused = _attachments_store(mail, row.customer_message, truncated=truncated)
    if refused:
        _refused_attachments_note(row.ticket, refused)
        notes.append(f"{len(refused)} attachment(s) not stored")
    row.reason = "; ".join(notes)


def inbound_email_receive(*, raw: bytes, size: int | None = None, truncated: bool = False, mailbox: str = "",
                          uid: int | None = None, uidvalidity: int | None = None) -> tuple[InboundEmail, bool]:
    """Take one email in: returns its row and whether it was new. Taking the same email in again changes nothing.

    The row (unique on the Message-ID key) is inserted first, so two polls racing for one
    email serialise on it; the ticket or reply is made in the same transaction.
    """
    mail = inbound.parse(raw)
    existing = _already_received(mail)
    if existing is not None:
        return existing, False
    size = size if size is not None else len(raw)
    row = InboundEmail(
        message_key=mail.key, message_id=mail.message_id[:998], fingerprint=mail.fingerprint,
        in_reply_to=mail.in_reply_to[:50], references=mail.references[-50:], from_address=mail.from_address[:320],
        subject=mail.subject[:300], size=size, truncated=truncated, mailbox=mailbox[:200], uid=uid,
        uidvalidity=uidvalidity, outcome=InboundEmail.Outcome.QUARANTINED, defects=mail.defects[:50],
    )
    try:
        with transaction.atomic():
            row.save()
            try:
                with transaction.atomic():
                    _take_in(mail, row, size=size, truncated=truncated)
            except SupportError as exc:  # the ticket service refused what the email holds: keep it for a person
                row.outcome, row.reason, row.ticket, row.customer_message = (
                    InboundEmail.Outcome.QUARANTINED, f"refused: {exc}", None, None)
            row.save()
    except IntegrityError:
        existing = _already_received(mail)  # another poll took it in meanwhile
        if existing is None:
            raise
        return existing, False
    return row, True


def mailbox_poll(*, limit: int | None = None) -> dict:
    """Take in the emails waiting in the support mailbox; returns counts by outcome.

    Each email is marked done on the server only after what it became is committed. An email
    that fails for an unexpected reason stays on the to-do list (counted as ``failed``) and the
    poll goes on with the next; a database or mailbox error stops the poll (the next one retries).
    """
    box_settings = mailbox_settings()
    if box_settings is None:
        return {"enabled": False}
    counts: Counter[str] = Counter()
    with Mailbox(box_settings) as box:
        for uid in box.pending(limit or conf.SUPPORT_IMAP_BATCH):
            fetched = box.fetch(uid, max_bytes=conf.SUPPORT_IMAP_MAX_BYTES)
            if fetched is None:
                continue
            try:
                row, created = inbound_email_receive(
                    raw=fetched.raw, size=fetched.size, truncated=fetched.truncated, mailbox=box_settings.mailbox,
                    uid=uid, uidvalidity=box.uidvalidity)
            except DatabaseError:
                raise
            except Exception:
                logger.exception("inbound email uid %s could not be taken in; it stays in the mailbox", uid)
                counts["failed"] += 1
                continue
            if row.outcome == InboundEmail.Outcome.QUARANTINED:
                box.quarantine(uid)
            box.mark_done(uid)
            counts[row.outcome if created else "already_taken_in"] += 1
            logger.info("inbound email uid %s: %s%s", uid, row.outcome, "" if created else " (already taken in)")
    return {"enabled": True, **counts}


__all__ = ["MailboxError", "inbound_email_receive", "mailbox_poll", "mailbox_settings"]
