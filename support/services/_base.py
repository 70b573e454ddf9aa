"""What every part of the support services shares: limits, errors, the permission check, events, queueing, vectors."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction

from ecomcms import inference, queueing
from support.conf import conf
from support.models import Ticket, TicketEvent

PERMISSION = "ecomcms_support.handle_ticket"
MAX_ATTEMPTS = 3
MAX_SUBJECT = 300
MAX_BODY = 20_000


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


def _embed(texts: list[str]) -> np.ndarray:
    return inference.get_embedder().embed(list(texts)).vectors


def _vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _vector(data) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)
