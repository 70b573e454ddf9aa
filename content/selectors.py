"""Reads for the admin, the API and commands."""

from __future__ import annotations

import re

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


_WORDS = re.compile(r"[^\w]+")
_SKU_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{2,63}")
MIN_TITLE_CHARS = 8  # a title shorter than this ("Cap") is too common a word to count as a mention


def _normalised(text: str) -> str:
    return f" {_WORDS.sub(' ', (text or '').casefold()).strip()} "


def products_mentioned(text: str, *, limit: int = 3) -> list[Product]:
    """Active products a text names, deterministically: by SKU, by slug (a pasted product link), or by title.

    A SKU or slug counts when it appears as a whole token (SKUs compared without case); a title
    counts when all of it appears as a phrase, ignoring case and punctuation, and it is at least
    ``MIN_TITLE_CHARS`` long. SKU and slug matches win over title matches; among titles the
    longest match wins (so "Trail Runner GTX" beats "Trail Runner"). At most ``limit`` products.
    """
    tokens = {t.strip("./-_") for t in _SKU_TOKEN.findall(text or "")}
    tokens.discard("")
    candidates = tokens | {t.upper() for t in tokens} | {t.lower() for t in tokens}
    active = Product.objects.filter(is_active=True)
    exact = list(active.filter(Q(sku__in=candidates) | Q(slug__in=candidates)).order_by("pk")[:limit])
    if exact:
        return exact
    haystack = _normalised(text)
    titled = [(len(norm), pk) for pk, title in active.values_list("pk", "title").iterator()
              if len(norm := _normalised(title).strip()) >= MIN_TITLE_CHARS and f" {norm} " in haystack]
    if not titled:
        return []
    longest = max(length for length, _ in titled)
    ids = sorted(pk for length, pk in titled if length == longest)[:limit]
    return list(Product.objects.filter(pk__in=ids).order_by("pk"))
