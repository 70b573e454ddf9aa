"""Service-level agreements: due times from the queue, and flagging overdue tickets once each."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from support.models import Queue, Ticket, TicketEvent, TicketStatus
from support.services._base import _event

DEFAULT_FIRST_RESPONSE_HOURS = 24
DEFAULT_RESOLUTION_HOURS = 72


def _sla_dues(queue: Queue | None, start: datetime) -> tuple[datetime, datetime]:
    first = queue.first_response_hours if queue else DEFAULT_FIRST_RESPONSE_HOURS
    resolution = queue.resolution_hours if queue else DEFAULT_RESOLUTION_HOURS
    return start + timedelta(hours=first), start + timedelta(hours=resolution)


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
        ids = list(
            Ticket.objects.filter(
                condition, status__in=[TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING]
            ).values_list("pk", flat=True)[:1000]
        )
        for pk in ids:
            if Ticket.objects.filter(pk=pk, **{field: False}).update(**{field: True}):
                _event(pk, TicketEvent.Kind.SLA_BREACH, to_value=field.removesuffix("_breached").replace("_", " "))
                flagged += 1
    return flagged
