"""Sending the Celery task for work that is already stored.

Services store work first (a queued draft, a ticket pending triage) and send its
task after the commit. A broker that is down then loses nothing: the request
still succeeds, and the sweepers (``content.sweep``, ``support.sweep``) send the
task again once the broker answers.
"""

from __future__ import annotations

import logging

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}


def send(task, args: tuple = (), *, countdown: int | None = None) -> bool:
    """Send ``task`` with ``args``; False, logged, when the broker is unreachable."""
    try:
        task.apply_async(args, countdown=countdown, retry=True, retry_policy=RETRY_POLICY)
        return True
    except OperationalError as exc:
        logger.warning("broker unreachable, %s%s not sent: %s", task.name, list(args), exc)
        return False
