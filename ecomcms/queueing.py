"""Sending the Celery task for work that is already stored: the one way every app queues a task.

Services store work first (a queued draft, a ticket pending triage) and send its
task after the commit (``send_after_commit``). A broker that is down then loses nothing:
the request still succeeds, and the sweepers (``content.sweep``, ``support.sweep``) send the
task again once the broker answers. Where nothing is stored to sweep (a training run asked
for by an operator), the ``Dispatch`` that ``send_after_commit`` returns tells the door
whether the task went out, so it can say so instead of pretending it was queued.

Doors (admin, API, commands) never call ``.delay()`` themselves: they call a service, which
queues through here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}


def send(task, args: tuple = (), *, kwargs: dict | None = None, countdown: int | None = None) -> bool:
    """Send ``task`` with ``args`` (and ``kwargs``) now; False, logged, when the broker is unreachable."""
    try:
        task.apply_async(args, kwargs=kwargs, countdown=countdown, retry=True, retry_policy=RETRY_POLICY)
        return True
    except OperationalError as exc:
        logger.warning("broker unreachable, %s%s not sent: %s", task.name, list(args), exc)
        return False


@dataclass
class Dispatch:
    """A task to send when the transaction commits. ``sent``: None until then, then whether the broker took it."""

    task: str
    sent: bool | None = None


def send_after_commit(task, args: tuple = (), *, kwargs: dict | None = None, countdown: int | None = None,
                      not_sent: Callable[[], None] | None = None) -> Dispatch:
    """Send ``task`` once the current transaction commits (at once outside a transaction).

    A rolled-back transaction sends nothing. ``not_sent`` runs (after the commit) when the broker
    was unreachable, e.g. to mark the stored work failed with the reason.
    """
    dispatch = Dispatch(task.name)

    def _send() -> None:
        dispatch.sent = send(task, args, kwargs=kwargs, countdown=countdown)
        if not dispatch.sent and not_sent is not None:
            not_sent()

    transaction.on_commit(_send)
    return dispatch
