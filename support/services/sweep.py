"""Recovering work a lost worker or a lost message left behind."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from support.conf import conf
from support.models import ReplySuggestion, Ticket, TicketEvent, TriageStatus
from support.services._base import MAX_ATTEMPTS, _dispatch_triage, _event, _send

logger = logging.getLogger(__name__)


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
