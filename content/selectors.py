"""Reads for the admin, the API and commands."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from content.catalog import catalog_generation  # noqa: F401  (re-exported: the storefront's cache reads it)
from content.models import Draft, DraftStatus, GenerationJob, Product, PublishedCopy
from ecomcms.sql import rows_where_in

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
    return (
        same.select_related("product", "template")
        .prefetch_related("summarized_reviews")
        .order_by("variant", "-created_at", "-pk")
    )


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


def products_by_reference(references: set[str]) -> dict[str, int]:
    """Product ids by SKU and by slug (any product, active or not); a SKU wins over another product's slug."""
    if not references:
        return {}
    # Hand-written: event ingestion asks this for every batch (ecomcms/sql.py says why).
    found = rows_where_in(Product._meta.db_table, ["id", "sku", "slug"], "sku", references, or_column="slug")
    by_slug = {slug: pk for pk, _, slug in found if slug in references}
    by_sku = {sku: pk for pk, sku, _ in found if sku in references}
    return by_slug | by_sku


def products_by_ids(ids: set[int]) -> QuerySet[Product]:
    return Product.objects.filter(pk__in=ids)


def drafts_for_staff(*, status: str | None = None, kind: str | None = None,
                     product: str | None = None) -> QuerySet[Draft]:
    drafts = Draft.objects.select_related("product")
    if status:
        drafts = drafts.filter(status=status)
    if kind:
        drafts = drafts.filter(kind=kind)
    if product:
        drafts = drafts.filter(Q(product__sku=product) | Q(product__slug=product))
    return drafts
