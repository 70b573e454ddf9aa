"""Celery doors to the content services: fetch by id, call one service, nothing else."""

from __future__ import annotations

from celery import shared_task

from content import services


@shared_task(name="content.generate_drafts", acks_late=True)
def generate_drafts(max_batches: int = 1) -> dict:
    """Claim and generate one batch of queued drafts (in one model call).

    Redelivery is harmless: a duplicate task finds the batch already claimed and
    stops; no draft is ever created here, only filled in.
    """
    worker = f"{generate_drafts.request.hostname or ''}"
    return services.drafts_process_queue(max_batches=max_batches, worker=worker)


@shared_task(name="content.generate_preview", acks_late=True)
def generate_preview(preview_id: int) -> None:
    services.template_preview_run(preview_id)


@shared_task(name="content.compare_draft", acks_late=True)
def compare_draft(draft_id: int) -> None:
    """Embed a text a person wrote and fill in its near-duplicate check (the web request runs no model)."""
    services.draft_compare(draft_id)


@shared_task(name="content.publish_due")
def publish_due() -> int:
    """Publish approved drafts whose scheduled time has come (Celery beat, every minute)."""
    return services.drafts_publish_due()


@shared_task(name="content.sweep")
def sweep() -> dict:
    """Return drafts of lost workers to the queue and resend lost tasks (Celery beat, every minute)."""
    return services.drafts_sweep()
