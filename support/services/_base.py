"""What every part of the support services shares: limits, errors, ticket events, queueing, vectors."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

import numpy as np

from ecomcms import errors, inference, queueing
from support.conf import conf
from support.models import Ticket, TicketEvent

PERMISSION = "ecomcms_support.handle_ticket"
MAX_ATTEMPTS = 3
MAX_SUBJECT = 300
MAX_BODY = 20_000


class SupportError(errors.ServiceError):
    """A request the support workflow refuses; the message is for the person who made it."""


class StateError(SupportError, errors.StateError):
    """The ticket or suggestion is not in a state that allows this."""


class NotAllowed(SupportError, errors.NotAllowed):
    """The actor lacks the support permission this needs (``handle_ticket`` for staff actions)."""


class ReplyNotSendable(SupportError):
    """The reply has an unfilled placeholder or a link absent from the knowledge base: fix it first."""

    code = "reply_not_sendable"

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__("this reply cannot be sent as written: " + " ".join(p["message"] for p in problems))


class FlagsNotConfirmed(SupportError):
    """The suggestion has flags nobody confirmed by name; ``missing`` holds their codes."""

    status = 409
    code = "flags_not_confirmed"

    def __init__(self, missing: list[str], flags: list[dict]):
        self.missing = missing
        details = "; ".join(f"{f['code']}: {f['message']}" for f in flags if f.get("code") in missing)
        super().__init__(f"this suggestion has flags to check before it is sent ({details}). Check them, then "
                         f"confirm them by name (confirm_flags: {', '.join(missing)}).")


class TriageRetry(Exception):
    """A transient model error: the triage task tries again later."""


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


def _task(name: str):
    from support import tasks  # tasks import the services: look the task up when it is sent

    return getattr(tasks, name)


def _send(task_name: str, *args, countdown: int | None = None) -> bool:
    """Send a task now; returns False when the broker is unreachable (the sweeper, a task's own retry).

    The work it stands for is already committed (a ticket pending triage, a
    pending suggestion), so nothing is lost: ``support_sweep`` sends it again
    once the broker answers. The customer's request succeeds either way.
    """
    return queueing.send(_task(task_name), args, countdown=countdown)


def _send_after_commit(task_name: str, *args) -> queueing.Dispatch:
    """Send a task once the transaction that stored its work commits (see ``_send`` for a broker that is down)."""
    return queueing.send_after_commit(_task(task_name), args)


def _dispatch_triage(ticket_id: int) -> None:
    _send_after_commit("triage_ticket", ticket_id)


def _embed(texts: list[str]) -> np.ndarray:
    return inference.get_embedder().embed(list(texts)).vectors


def _vector_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _vector(data) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)
