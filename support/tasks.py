"""Celery doors to the support services: fetch by id, call one service, nothing else.

``support.triage_ticket`` runs on the ``default`` queue (embeddings); names
``support.suggest_*`` are routed to the ``generation`` queue (the LLM).
"""

from __future__ import annotations

from celery import shared_task

from support import services


@shared_task(name="support.triage_ticket", acks_late=True, autoretry_for=(services.TriageRetry,), retry_backoff=5,
             retry_backoff_max=120, max_retries=services.MAX_ATTEMPTS)
def triage_ticket(ticket_id: int) -> str:
    """Predict intent, sentiment, priority and language, then queue the suggested reply.

    Redelivery is harmless: the ticket is claimed with a compare-and-set, so a
    second copy of the task finds it running or done and stops.
    """
    ticket = services.ticket_triage(ticket_id)
    return "triaged" if ticket is not None else "nothing to do"


@shared_task(name="support.suggest_reply", acks_late=True)
def suggest_reply(suggestion_id: int | None = None) -> dict:
    """Write one batch of pending suggested replies (this one first) in one model call."""
    worker = f"{suggest_reply.request.hostname or ''}"
    return services.suggestions_process(first_id=suggestion_id, worker=worker)


@shared_task(name="support.embed_knowledge", acks_late=True)
def embed_knowledge() -> int:
    """Embed articles and canned responses whose text changed (after an edit in the admin)."""
    return services.knowledge_refresh_embeddings()


@shared_task(name="support.sweep")
def sweep() -> dict:
    """Return lost workers' triage and suggestions to the queue; resend lost tasks (Celery beat, every minute)."""
    return services.support_sweep()


@shared_task(name="support.poll_mailbox", acks_late=True)
def poll_mailbox() -> dict:
    """Take in the support mailbox's new emails as tickets and replies (Celery beat, every
    ``SUPPORT_IMAP_POLL_SECONDS``). Redelivery is harmless: an email already taken in is only marked done."""
    try:
        return services.mailbox_poll()
    except services.MailboxError as exc:  # the server is down or refused: the next poll tries again
        services.logger.warning("support mailbox not polled: %s", exc)
        return {"enabled": True, "error": str(exc)}


@shared_task(name="support.flag_sla_breaches")
def flag_sla_breaches() -> int:
    """Flag overdue first responses and resolutions (Celery beat, every minute)."""
    return services.sla_flag_breaches()


@shared_task(name="support.retrain_intents", acks_late=True)
def retrain_intents() -> int | None:
    """Queue a new intent-classifier version when enough new labels arrived (Celery beat, daily); it trains on
    the ``training`` worker and is activated only if its gate passed."""
    version = services.intent_model_retrain_if_needed()
    return version.pk if version else None


@shared_task(name="support.find_kb_gaps", acks_late=True)
def find_kb_gaps() -> int:
    """Cluster recent tickets no article answered well into suggested articles (Celery beat, daily)."""
    return len(services.kb_gaps_find())


@shared_task(name="support.suggest_article", acks_late=True)
def suggest_article(suggestion_id: int) -> str:
    """Write one suggested knowledge-base article (the ``generation`` queue: the LLM)."""
    return "written" if services.article_suggestion_write(suggestion_id) is not None else "nothing to do"
