"""Review-summary drafts: made from the product's reviews, stored with exactly those reviews.

Called by ``content.services`` in the worker (generation and the after-edit comparison); the
embedder runs there, never in a web request. The writing itself is ``content.summaries``
(extractive, third person, see its docstring for why the text model does not write them).
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

from content import checks, summaries
from content.models import BannedPhrase, Draft, DraftEvent, DraftStatus, Review
from ecomcms import inference

logger = logging.getLogger(__name__)


def _embed(texts: list[str]):
    return inference.get_embedder().embed(texts).vectors


def summary_reviews(draft: Draft) -> list[Review]:
    """The reviews a summary covers: the stored ones, or (before it has any) a fresh sample."""
    if draft.pk is None:  # an unsaved draft (the copy-quality harness)
        return summaries.reviews_sample(list(draft.product.reviews.all())) if draft.product.pk else []
    stored = list(draft.summarized_reviews.all())
    if stored:
        return summaries.reviews_sample(stored, limit=len(stored))
    return summaries.reviews_sample(list(draft.product.reviews.all()))


def summary_support(text: str, reviews: list[Review]) -> dict:
    """The review-support check of a summary text against its reviews (needs the embedder)."""
    sources = [s.text for s in summaries.review_sentences(reviews)]
    return summaries.support_check(text, sources, _embed)


def summaries_generate(drafts: list[Draft]) -> dict[str, int]:
    """Write, check and store claimed review-summary drafts (in the worker).

    Saved with the same compare-and-set on ``generating`` as model-written drafts, so a claim
    taken back by the sweeper is never overwritten; the reviews used are stored with the draft.
    """
    from content import services

    counts = {"in_review": 0, "failed": 0, "requeued": 0}
    banned = list(BannedPhrase.objects.filter(is_active=True).values_list("phrase", flat=True))
    for draft in drafts:
        started = time.perf_counter()
        all_reviews = list(draft.product.reviews.all())
        sample = summaries.reviews_sample(all_reviews)
        try:
            text = summaries.summarize(sample, _embed, total=len(all_reviews), max_chars=draft.template.max_chars) \
                or "No reviews to summarize yet."
            vector = _embed([text])[0]
            support = summary_support(text, sample)
        except inference.ModelError as exc:
            for key, value in services._fail_or_requeue([draft], str(exc), permanent=exc.permanent).items():
                counts[key] += value
            continue
        results = [support] + services.draft_checks(draft=draft, text=text, vector=vector, banned=banned)
        model_id = f"extractive+{inference.get_embedder().model_id}"
        with transaction.atomic():
            updated = Draft.objects.filter(
                pk=draft.pk, status=DraftStatus.GENERATING, claimed_at=draft.claimed_at
            ).update(
                status=DraftStatus.IN_REVIEW,
                ai_text=text,
                model_id=model_id,
                generation_options={},
                strategy="extractive",
                strategy_details={"reviews": len(sample), "of": len(all_reviews), "embedder": model_id},
                input_hash="",
                tokens_in=0,
                tokens_out=0,
                seconds=time.perf_counter() - started,
                generated_at=timezone.now(),
                checks=results,
                checks_passed=checks.all_passed(results),
                embedding=vector.tobytes(),
                failure_reason="",
                updated_at=timezone.now(),
            )
            if updated:
                draft.summarized_reviews.set(sample)
                DraftEvent.objects.create(
                    draft_id=draft.pk, from_status=DraftStatus.GENERATING, to_status=DraftStatus.IN_REVIEW
                )
                counts["in_review"] += 1
            else:
                logger.info("draft %s was no longer generating; summary dropped", draft.pk)
    return counts


def summary_facts_from_reviews(draft: Draft, text: str, results: list[dict]) -> list[dict]:
    """A summary's facts are the reviews: words the facts check flags that a summarized review says are fine.

    The product's attributes do not list "lasts a week" or "hurts after an hour"; the reviews do,
    and the review-support check verifies each claim against them.
    """
    facts = next((r for r in results if r["name"] == "facts" and not r["passed"]), None)
    if facts is None:
        return results
    said = " ".join(summaries.review_text(r) for r in summary_reviews(draft)).lower()
    kept = [span for span in facts["spans"] if text[span[0]:span[1]].strip().lower() not in said]
    if kept == facts["spans"]:
        return results
    if kept:
        updated = {**facts, "spans": kept}
    else:
        updated = {**facts, "passed": True, "spans": [],
                   "message": "Every number and attribute it mentions is in the reviews it summarizes."}
    return [updated if r is facts else r for r in results]


def summary_recheck(draft: Draft, results: list[dict], text: str) -> list[dict]:
    """``results`` with the review-support check of ``text`` in place (after an edit, in the worker)."""
    reviews = summary_reviews(draft)
    if not draft.summarized_reviews.exists() and reviews:
        draft.summarized_reviews.set(reviews)
    try:
        support = summary_support(text, reviews)
    except inference.ModelError as exc:
        logger.warning("review-support check of draft %s skipped: %s", draft.pk, exc)
        return results
    if not any(c["name"] == summaries.SUPPORT_CHECK for c in results):
        return [support] + results
    return [support if c["name"] == summaries.SUPPORT_CHECK else c for c in results]
