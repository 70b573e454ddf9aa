"""Reads for the admin, the API and commands."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from content.models import Draft, DraftStatus, GenerationJob, PublishedCopy

DONE_STATUSES = [s for s in DraftStatus.values if s not in (DraftStatus.QUEUED, DraftStatus.GENERATING)]


def drafts_for_review() -> QuerySet[Draft]:
    """Drafts waiting for an editor, oldest due first."""
    return (
        Draft.objects.filter(status=DraftStatus.IN_REVIEW)
        .select_related("product", "template")
        .order_by("due_at", "generated_at", "pk")
    )


def draft_variants(draft: Draft) -> QuerySet[Draft]:
    """The drafts of one request: same product, kind and job (hand-written ones: in review, no job).

    Variants of a search-ad headline are judged against each other, so they are reviewed on one page;
    regenerated drafts keep their job and appear with the variant they replace.
    """
    same = Draft.objects.filter(product_id=draft.product_id, kind=draft.kind)
    if draft.job_id:
        same = same.filter(job_id=draft.job_id)
    else:
        same = same.filter(job__isnull=True, status=DraftStatus.IN_REVIEW) | same.filter(pk=draft.pk)
    return same.select_related("product", "template").prefetch_related("summarized_reviews").order_by("variant", "-created_at", "-pk")


def jobs_with_progress() -> QuerySet[GenerationJob]:
    return GenerationJob.objects.annotate(
        done=Count("drafts", filter=Q(drafts__status__in=DONE_STATUSES)),
        failed=Count("drafts", filter=Q(drafts__status=DraftStatus.FAILED)),
    )


def job_progress(job: GenerationJob) -> dict[str, int]:
    counts = jobs_with_progress().values("total", "done", "failed").get(pk=job.pk)
    return {"total": counts["total"], "done": counts["done"], "failed": counts["failed"]}


def product_published_copy(product) -> QuerySet[PublishedCopy]:
    """What shoppers see for a product: the current publication of each kind and variant."""
    return PublishedCopy.objects.filter(product=product, superseded_at__isnull=True).order_by("kind", "variant")
