"""Reads of the support app: queues, SLA breach filters, threads and suggestion rates."""

from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from support.models import (
    PRIORITY_RANK,
    Attachment,
    IntentLabel,
    Message,
    ReplySuggestion,
    SetBy,
    Ticket,
    TicketStatus,
    TriageStatus,
)

OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)


def sla_breached_q(now=None) -> Q:
    """Tickets whose SLA is breached: flagged already, or overdue right now."""
    now = now or timezone.now()
    return (
        Q(first_response_breached=True)
        | Q(resolution_breached=True)
        | Q(first_responded_at__isnull=True, first_response_due__lt=now)
        | Q(resolved_at__isnull=True, status__in=OPEN_STATUSES, resolution_due__lt=now)
    )


def with_priority_rank(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        priority_rank=Case(*[When(priority=p, then=Value(r)) for p, r in PRIORITY_RANK.items()],
                           default=Value(9), output_field=IntegerField())
    )


def tickets_queue(queryset: QuerySet | None = None) -> QuerySet:
    """Tickets most urgent first: priority, then the first-response due time, then age."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    return with_priority_rank(queryset.select_related("queue", "assignee")).order_by(
        "priority_rank", "first_response_due", "created_at", "pk"
    )


def tickets_needing_human_triage() -> QuerySet:
    return tickets_queue(Ticket.objects.filter(needs_human_triage=True, status__in=OPEN_STATUSES))


def ticket_thread(ticket: Ticket, *, include_notes: bool) -> QuerySet:
    messages = Message.objects.filter(ticket=ticket).select_related("author")
    if not include_notes:
        messages = messages.exclude(author_kind=Message.Author.NOTE)
    return messages.order_by("created_at", "pk")


def ticket_attachment(*, ticket_id: int, attachment_id: int) -> Attachment | None:
    """One file of a ticket's emails, with its bytes (only for the download)."""
    return Attachment.objects.filter(ticket_id=ticket_id, pk=attachment_id).first()


def ticket_latest_suggestion(ticket: Ticket) -> ReplySuggestion | None:
    return (
        ReplySuggestion.objects.filter(ticket=ticket)
        .exclude(status=ReplySuggestion.Status.SUPERSEDED)
        .prefetch_related("articles", "canned_responses")
        .order_by("-created_at", "-pk")
        .first()
    )


def suggestion_rates_by_intent() -> list[dict]:
    """Per intent (the ticket's current one: staff corrections count), how suggestions were decided.

    Rates are shares of the decided suggestions; ``undecided`` counts ready ones
    nobody has acted on yet (they are not in the rates).
    """
    Decision = ReplySuggestion.Decision
    rows = (
        ReplySuggestion.objects.filter(status=ReplySuggestion.Status.READY)
        .values("ticket__intent")
        .annotate(
            accepted=Count("pk", filter=Q(decision=Decision.ACCEPTED)),
            edited=Count("pk", filter=Q(decision=Decision.EDITED)),
            rejected=Count("pk", filter=Q(decision=Decision.REJECTED)),
            undecided=Count("pk", filter=Q(decision="")),
        )
        .order_by("ticket__intent")
    )
    result = []
    for row in rows:
        decided = row["accepted"] + row["edited"] + row["rejected"]
        result.append({
            "intent": row["ticket__intent"] or "(none)",
            "decided": decided,
            "accepted": row["accepted"],
            "edited": row["edited"],
            "rejected": row["rejected"],
            "undecided": row["undecided"],
            "acceptance_rate": row["accepted"] / decided if decided else None,
            "edit_rate": row["edited"] / decided if decided else None,
            "rejection_rate": row["rejected"] / decided if decided else None,
        })
    result.sort(key=lambda r: (-r["decided"], r["intent"]))
    return result


#: The unsure queue's order: no confidence at all first, then the least confident, oldest first among equals.
UNSURE_ORDER = (F("intent_score").asc(nulls_first=True), "created_at", "pk")


def tickets_unsure(queryset: QuerySet | None = None) -> QuerySet:
    """The unsure queue: triaged tickets whose intent the model was unsure of or could not give (low confidence,
    "none of these", failed triage), that no person has set yet; lowest confidence first (none at all first),
    since their labels teach the classifier most. Any status: a solved ticket's label teaches as well."""
    queryset = Ticket.objects.all() if queryset is None else queryset
    return (queryset.filter(triage_status__in=[TriageStatus.DONE, TriageStatus.FAILED])
            .filter(Q(needs_human_triage=True) | Q(intent=""))
            .exclude(intent_set_by=SetBy.STAFF)
            .select_related("queue", "assignee")
            .order_by(*UNSURE_ORDER))


def intent_labels_new(*, since=None) -> int:
    """Labels that arrived after ``since`` (all when None): intents staff set, and intents confirmed by a sent
    suggestion on a ticket whose intent the model set (the labels ``support.intent_finetuning`` trains on)."""
    staff = IntentLabel.objects.filter(source=IntentLabel.Source.STAFF)
    confirmed = ReplySuggestion.objects.filter(
        decision__in=[ReplySuggestion.Decision.ACCEPTED, ReplySuggestion.Decision.EDITED],
        ticket__intent_set_by=SetBy.MODEL).exclude(ticket__intent="")
    if since is not None:
        staff, confirmed = staff.filter(created_at__gt=since), confirmed.filter(decided_at__gt=since)
    return staff.count() + confirmed.values("ticket_id").distinct().count()
