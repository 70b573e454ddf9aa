"""Knowledge-base gaps: recent tickets no article answered well become suggested articles for review.

1. ``kb_gaps_find`` (the daily beat task ``support.find_kb_gaps`` and ``manage.py find_kb_gaps``):
   resolved tickets (solved or closed, with a staff reply) of the last ``SUPPORT_KB_GAP_DAYS`` whose
   best published article scores below ``SUPPORT_KB_GAP_THRESHOLD`` (cosine of the stored
   embeddings, the score replies are grounded with) are clustered (``support.gaps``); each cluster
   of at least ``SUPPORT_KB_GAP_MIN_TICKETS`` becomes an ``ArticleSuggestion``. A ticket joins one
   suggestion at most, so later runs only look at new tickets.
2. ``article_suggestion_write`` (the ``generation`` worker): the model writes the article from the
   redacted staff replies that resolved those tickets (never a customer's message or an internal
   note), saved as an unpublished ``KnowledgeArticle``.
3. ``article_suggestion_approve`` / ``_reject`` (the admin): a reviewer with
   ``review_article_suggestion`` publishes the article (possibly after editing it) or rejects it.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ecomcms import inference
from ecomcms.errors import require_permission
from ecomcms.redaction import redact
from support import gaps, prompts
from support.conf import conf
from support.models import ArticleSuggestion, KnowledgeArticle, Message, Ticket, TicketStatus
from support.services._base import (
    MAX_ATTEMPTS,
    NotAllowed,
    StateError,
    SupportError,
    _send_after_commit,
    _stale_before,
    _vector,
)
from support.services.knowledge import knowledge_refresh_embeddings

logger = logging.getLogger(__name__)

REVIEW_PERMISSION = "ecomcms_support.review_article_suggestion"
RESOLVED = (TicketStatus.SOLVED, TicketStatus.CLOSED)
MAX_REPLIES_IN_PROMPT = 6


def _candidates(now: datetime, days: int, model_id: str) -> list[Ticket]:
    return list(
        Ticket.objects.filter(created_at__gte=now - timedelta(days=days), status__in=RESOLVED,
                              embedding__isnull=False, embedding_model=model_id,
                              messages__author_kind=Message.Author.STAFF)
        .exclude(article_suggestions__isnull=False)
        .distinct().order_by("pk")
    )


def kb_gaps_find(*, now: datetime | None = None, days: int | None = None, threshold: float | None = None,
                 distance: float | None = None, min_size: int | None = None, dry_run: bool = False) -> list:
    """Cluster recent uncovered tickets; each cluster becomes an ``ArticleSuggestion`` queued for writing.

    Returns the suggestions created (``dry_run``: the clusters as dicts, nothing written).
    Needs the embedder (a worker or a command): article embeddings are refreshed first.
    """
    now = now or timezone.now()
    days = conf.SUPPORT_KB_GAP_DAYS if days is None else days
    threshold = conf.SUPPORT_KB_GAP_THRESHOLD if threshold is None else threshold
    distance = conf.SUPPORT_KB_GAP_DISTANCE if distance is None else distance
    min_size = conf.SUPPORT_KB_GAP_MIN_TICKETS if min_size is None else min_size
    if not dry_run:
        kb_gaps_resend(now=now)
    knowledge_refresh_embeddings()
    model_id = inference.get_embedder().model_id
    tickets = _candidates(now, days, model_id)
    if not tickets:
        return []
    ticket_matrix = np.stack([_vector(t.embedding) for t in tickets])
    articles = [a for a in KnowledgeArticle.objects.filter(is_published=True, embedding_model=model_id)
                if a.embedding is not None]
    article_matrix = (np.stack([_vector(a.embedding) for a in articles]) if articles
                      else np.zeros((0, ticket_matrix.shape[1]), dtype=np.float32))
    scores, clusters = gaps.gaps(ticket_matrix, article_matrix, threshold=threshold, distance=distance,
                                 min_size=min_size)
    found = []
    for c in clusters:
        members = [tickets[i] for i in c.members]
        details = {
            "threshold": threshold, "distance": distance, "min_size": min_size, "days": days,
            "embedding_model": model_id,
            "scores": {t.public_id: round(float(scores[i]), 4) for t, i in zip(members, c.members)},
            "intents": dict(Counter(t.intent or "(none)" for t in members).most_common()),
        }
        found.append((members, c, details, float(max(scores[i] for i in c.members))))
    if dry_run:
        return [{"title": m[0].redacted_subject, "tickets": [t.public_id for t in m], "cohesion": round(c.cohesion, 4),
                 "best_score": round(best, 4), "intents": d["intents"]} for m, c, d, best in found]
    created = []
    with transaction.atomic():
        for members, c, details, best in found:
            suggestion = ArticleSuggestion.objects.create(
                title=(members[0].redacted_subject or "Suggested article")[:300], best_score=best,
                cohesion=c.cohesion, details=details)
            suggestion.tickets.set(members)
            _send_after_commit("suggest_article", suggestion.pk)
            created.append(suggestion)
    logger.info("knowledge-base gaps: %d tickets looked at, %d suggestions", len(tickets), len(created))
    return created


def kb_gaps_resend(*, now: datetime | None = None) -> int:
    """Send the writing task again for suggestions still waiting an hour after they were found (a lost task,
    a broker that was down). Redelivery is harmless: writing claims the suggestion first."""
    now = now or timezone.now()
    waiting = list(ArticleSuggestion.objects.filter(
        status=ArticleSuggestion.Status.PENDING, created_at__lt=now - timedelta(hours=1)).values_list("pk", flat=True))
    for pk in waiting:
        _send_after_commit("suggest_article", pk)
    return len(waiting)


def _staff_replies(suggestion: ArticleSuggestion) -> list[str]:
    """The redacted staff replies of the gap's tickets (the last one of each ticket: the one that resolved it)."""
    replies = []
    for ticket in suggestion.tickets.all():
        last = (ticket.messages.filter(author_kind=Message.Author.STAFF).order_by("-created_at", "-pk").first())
        if last is not None:
            text = redact(last.redacted_body or "").text  # redacted again: a staff reply may quote an address
            replies.append(" ".join(text.split()))
    return [r for r in replies if r][:MAX_REPLIES_IN_PROMPT]


def article_suggestion_write(suggestion_id: int) -> ArticleSuggestion | None:
    """Write the suggested article (in the ``generation`` worker); saved as an unpublished article for review.

    Claimed with a compare-and-set (``pending -> generating``, or a claim older than the hard
    time limit), saved only while the claim is ours: a redelivered task changes nothing.
    """
    now = timezone.now()
    claimed = ArticleSuggestion.objects.filter(pk=suggestion_id, status__in=[
        ArticleSuggestion.Status.PENDING]).update(status=ArticleSuggestion.Status.GENERATING, claimed_at=now,
                                                  attempts=F("attempts") + 1)
    if not claimed:
        claimed = ArticleSuggestion.objects.filter(
            pk=suggestion_id, status=ArticleSuggestion.Status.GENERATING, claimed_at__lt=_stale_before(now)
        ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    suggestion = ArticleSuggestion.objects.get(pk=suggestion_id)
    replies = _staff_replies(suggestion)
    prompt = prompts.build_article_prompt(shop_name=conf.SUPPORT_SHOP_NAME, topic=suggestion.title, replies=replies)
    try:
        result = inference.get_generator().generate([prompt], prompts.article_options())[0]
    except inference.ModelError as exc:
        failed = exc.permanent or suggestion.attempts >= MAX_ATTEMPTS
        ArticleSuggestion.objects.filter(pk=suggestion_id, status=ArticleSuggestion.Status.GENERATING,
                                         claimed_at=now).update(
            status=ArticleSuggestion.Status.FAILED if failed else ArticleSuggestion.Status.PENDING,
            failure_reason=str(exc)[:2000])
        return ArticleSuggestion.objects.get(pk=suggestion_id)
    body = redact(prompts.clean_article(result.text)).text or "(the model wrote nothing: write the article here)"
    with transaction.atomic():
        locked = ArticleSuggestion.objects.select_for_update().get(pk=suggestion_id)
        if locked.status != ArticleSuggestion.Status.GENERATING or locked.claimed_at != now:
            return None
        article = KnowledgeArticle.objects.create(title=locked.title, body=body, is_published=False,
                                                  tags=["suggested"])
        locked.article, locked.status = article, ArticleSuggestion.Status.READY
        locked.model_id, locked.prompt_version = result.model_id, prompts.ARTICLE_PROMPT_VERSION
        locked.tokens_in, locked.tokens_out, locked.seconds = result.tokens_in, result.tokens_out, result.seconds
        locked.failure_reason = ""
        locked.save()
    return locked


def _decide(suggestion: ArticleSuggestion, actor, *, approve: bool, reason: str = "") -> ArticleSuggestion:
    require_permission(actor, REVIEW_PERMISSION, error=NotAllowed)
    with transaction.atomic():
        locked = ArticleSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if locked.status != ArticleSuggestion.Status.READY or locked.article_id is None:
            raise StateError(f"this suggestion is {locked.get_status_display().lower()}, not in review")
        locked.status = ArticleSuggestion.Status.APPROVED if approve else ArticleSuggestion.Status.REJECTED
        locked.decided_by, locked.decided_at, locked.reject_reason = actor, timezone.now(), reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "reject_reason"])
        if approve:
            KnowledgeArticle.objects.filter(pk=locked.article_id).update(is_published=True)
            from support.services.knowledge import knowledge_changed

            knowledge_changed()  # embedded for retrieval
    return locked


def article_suggestion_approve(*, suggestion: ArticleSuggestion, actor) -> ArticleSuggestion:
    """Publish the suggested article (as the reviewer left it): it joins the knowledge base."""
    return _decide(suggestion, actor, approve=True)


def article_suggestion_reject(*, suggestion: ArticleSuggestion, actor, reason: str) -> ArticleSuggestion:
    """Reject the suggestion; its article stays unpublished."""
    if not (reason or "").strip():
        raise SupportError("a reason is required to reject a suggested article")
    return _decide(suggestion, actor, approve=False, reason=reason.strip())
