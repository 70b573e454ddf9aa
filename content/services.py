"""Every write to content goes through here: requests, generation, and each workflow transition.

The admin, the API, management commands and Celery tasks all call these
functions, so they behave identically whichever door was used. Every transition
checks the current state inside a transaction, refuses a wrong one with
``DraftStateError``, checks the actor's permission (``NotAllowed``), and writes an
append-only ``DraftEvent``. ``actor=None`` means the system (a worker or the scheduler).
"""

from __future__ import annotations

import logging
import math
import os
import socket
from copy import copy as shallow_copy
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from content import checks, generation, postprocess, prompts, review_summaries, summaries
from content.catalog import catalog_changed  # noqa: F401  (re-exported for other apps' bulk writes)
from content.models import (
    KIND_VARIANTS,
    BannedPhrase,
    CopyKind,
    CopyStrategy,
    Draft,
    DraftEvent,
    DraftStatus,
    GenerationJob,
    Product,
    PromptTemplate,
    PublishedCopy,
    TemplatePreview,
)
from ecomcms import errors, inference, queueing
from ecomcms.assign import stable_bucket
from ecomcms.conf import conf
from ecomcms.errors import require_permission

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
NEAR_DUPLICATE_POOL = 5000  # most recent other drafts compared for near-duplicates
# Kinds written as a line, not as sentences: they need no full stop at the end.
SHORT_KINDS = (CopyKind.AD_HEADLINE, CopyKind.SEO_TITLE)
PREVIEW_NOT_SENT = "not started: the task queue (broker) did not answer; request the preview again when it is back"


class ContentError(errors.ServiceError):
    """A request the content workflow refuses; the message is for the person who made it."""


class DraftStateError(ContentError, errors.StateError):
    """The draft is not in a state that allows this transition."""


class NotAllowed(ContentError, errors.NotAllowed):
    """The actor lacks the content permission this needs."""


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _transition(draft: Draft | int, *, actor, allowed_from, to_status, comment="", verb: str, **updates) -> Draft:
    pk = draft.pk if isinstance(draft, Draft) else draft
    with transaction.atomic():
        current = Draft.objects.select_for_update().select_related("product").get(pk=pk)
        if current.status not in allowed_from:
            raise DraftStateError(f"cannot {verb} a draft that is {current.get_status_display().lower()}")
        previous = current.status
        for field, value in updates.items():
            setattr(current, field, value)
        current.status = to_status
        current.save()
        DraftEvent.objects.create(
            draft=current, actor=actor, from_status=previous, to_status=to_status, comment=comment
        )
    return current


# --- Templates ------------------------------------------------------------------------------

def template_active(kind: str) -> PromptTemplate:
    """The active template of a kind; the built-in default becomes version 1 if there is none."""
    template = PromptTemplate.objects.filter(kind=kind, is_active=True).first()
    if template:
        return template
    if kind not in prompts.DEFAULT_TEMPLATES:
        raise ContentError(f"unknown kind of copy: {kind!r}")
    with transaction.atomic():
        template = PromptTemplate.objects.filter(kind=kind, is_active=True).select_for_update().first()
        if template:
            return template
        default = prompts.DEFAULT_TEMPLATES[kind]
        version = (PromptTemplate.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0) + 1
        return PromptTemplate.objects.create(
            kind=kind, version=version, system=default["system"], user=default["user"],
            options=default["options"], max_chars=default["max_chars"], is_active=True,
            strategy=default.get("strategy", CopyStrategy.FREE),
        )


def template_version(*, kind: str, version: int) -> PromptTemplate:
    """One version of a kind's template, or a ContentError naming what exists."""
    template = PromptTemplate.objects.filter(kind=kind, version=version).first()
    if template is None:
        known = list(PromptTemplate.objects.filter(kind=kind).values_list("version", flat=True))
        raise ContentError(f"no version {version} of the {kind} template (versions: {known or 'none'})")
    return template


def template_save_version(
    *,
    kind: str,
    system: str,
    user: str,
    options: dict,
    max_chars: int,
    actor,
    activate: bool = True,
    strategy: str | None = None,
) -> PromptTemplate:
    """Save an edit as a new version (old versions stay, with the drafts made from them)."""
    require_permission(actor, "ecomcms_content.add_prompttemplate", error=NotAllowed)
    inference.GenerationOptions.from_dict(options)  # refuse bad options before saving
    with transaction.atomic():
        version = (
            PromptTemplate.objects.select_for_update().filter(kind=kind).aggregate(v=Max("version"))["v"] or 0
        ) + 1
        if not strategy:  # keep the strategy of the version being edited
            current = PromptTemplate.objects.filter(kind=kind, is_active=True).first()
            strategy = (
                current.strategy
                if current
                else prompts.DEFAULT_TEMPLATES.get(kind, {}).get("strategy", CopyStrategy.FREE)
            )
        if strategy not in CopyStrategy.values:
            raise ContentError(f"unknown strategy {strategy!r}")
        if activate:
            PromptTemplate.objects.filter(kind=kind, is_active=True).update(is_active=False)
        return PromptTemplate.objects.create(
            kind=kind, version=version, system=system, user=user, options=options, max_chars=max_chars,
            is_active=activate, created_by=actor, strategy=strategy,
        )


def template_activate(*, template: PromptTemplate, actor) -> PromptTemplate:
    require_permission(actor, "ecomcms_content.change_prompttemplate", error=NotAllowed)
    with transaction.atomic():
        PromptTemplate.objects.filter(kind=template.kind, is_active=True).exclude(pk=template.pk).update(
            is_active=False
        )
        PromptTemplate.objects.filter(pk=template.pk).update(is_active=True)
    template.refresh_from_db()
    return template


def template_preview_request(*, template: PromptTemplate, product: Product, actor) -> TemplatePreview:
    """Queue a preview of the template on one product; it creates no draft.

    If the broker does not answer, the preview is failed at once with the reason (``PREVIEW_NOT_SENT``):
    nothing is half done, and the editor can ask again.
    """
    require_permission(actor, "ecomcms_content.request_generation", error=NotAllowed)
    from content.tasks import generate_preview

    preview = TemplatePreview.objects.create(template=template, product=product, requested_by=actor)
    queueing.send_after_commit(generate_preview, (preview.pk,), not_sent=lambda: _preview_not_sent(preview.pk))
    return preview


def _preview_not_sent(preview_id: int) -> None:
    """A preview is asked for by someone waiting for it: with the broker down, say so now rather than hours later."""
    TemplatePreview.objects.filter(pk=preview_id, status=TemplatePreview.Status.PENDING).update(
        status=TemplatePreview.Status.FAILED, error=PREVIEW_NOT_SENT)


def template_preview_run(preview_id: int) -> TemplatePreview | None:
    preview = TemplatePreview.objects.select_related("template", "product").filter(pk=preview_id).first()
    if preview is None or preview.status != TemplatePreview.Status.PENDING:
        return preview
    template = preview.template
    try:
        written = generation.copy_generate_batch(
            template=template,
            requests=[generation.CopyRequest(product=preview.product, reviews=preview.product.reviews.all())],
        )[0]
    except (inference.ModelError, ValueError) as exc:
        TemplatePreview.objects.filter(pk=preview.pk).update(status=TemplatePreview.Status.FAILED, error=str(exc))
    else:
        TemplatePreview.objects.filter(pk=preview.pk).update(
            status=TemplatePreview.Status.DONE, text=written.text,
            provenance={**written.generation.provenance(), "strategy": written.strategy},
        )
    preview.refresh_from_db()
    return preview


# --- Requesting generation -------------------------------------------------------------------

def drafts_request(*, products, kind: str, actor, description: str = "", due_at: datetime | None = None,
                   challenger: PromptTemplate | None = None, challenger_adapter=None) -> GenerationJob:
    """Queue drafts of one kind for many products, as one job.

    Products that already have a draft of that kind on its way are skipped, so a
    double click or a repeated command never queues the same work twice.
    With a ``challenger`` template version, or a ``challenger_adapter`` (a trained
    ``content.copy`` adapter, ``ecomcms.models.Adapter``), the job is split: each product
    goes to the active template and model or to the challenger by a hash of job and product
    (about half each, all variants of a product on the same side), so editors' decisions
    compare the two (``content.analytics.compare_arms``). Each draft's provenance records its
    arm: the template, and the adapter it was written with (``generation_options.adapter``).
    """
    require_permission(actor, "ecomcms_content.request_generation", error=NotAllowed)
    if kind not in CopyKind.values:
        raise ContentError(f"unknown kind of copy: {kind!r}")
    template = template_active(kind)
    if challenger is not None and challenger_adapter is not None:
        raise ContentError("a split job has one challenger: a template version or an adapter, not both")
    if challenger is not None and (challenger.kind != kind or challenger.pk == template.pk):
        raise ContentError("the challenger must be another version of the same kind's template")
    if challenger_adapter is not None:
        _check_challenger_adapter(challenger_adapter, kind)
    variants = range(1, KIND_VARIANTS.get(kind, 1) + 1)
    product_ids = (
        list(products.values_list("pk", flat=True)) if hasattr(products, "values_list") else [p.pk for p in products]
    )
    with transaction.atomic():
        busy = set(
            Draft.objects.filter(
                product_id__in=product_ids, kind=kind, status__in=[DraftStatus.QUEUED, DraftStatus.GENERATING]
            ).values_list("product_id", "variant")
        )
        job = GenerationJob.objects.create(kind=kind, description=description[:300], requested_by=actor)
        drafts = []
        for pid in product_ids:
            challenged = _split_arm(job, pid, challenger or challenger_adapter)
            drafts += [
                Draft(product_id=pid, kind=kind, variant=v, job=job, due_at=due_at,
                      template=challenger if challenged and challenger is not None else template,
                      adapter=challenger_adapter if challenged else None)
                for v in variants if (pid, v) not in busy
            ]
        Draft.objects.bulk_create(drafts)
        drafts = list(Draft.objects.filter(job=job).only("pk"))  # ids on every database
        DraftEvent.objects.bulk_create([
            DraftEvent(draft_id=d.pk, actor=actor, from_status="", to_status=DraftStatus.QUEUED) for d in drafts
        ])
        job.total = len(drafts)
        job.save(update_fields=["total"])
        _dispatch_after_commit(len(drafts))
    return job


def _check_challenger_adapter(adapter, kind: str) -> None:
    from ecomcms.finetune.selectors import adapter_active
    from ecomcms.models import AdapterStatus

    if kind == CopyKind.REVIEW_SUMMARY:
        raise ContentError("review summaries are extracted from the reviews, not written by the model: "
                           "an adapter cannot change them")
    if adapter.purpose != generation.COPY_PURPOSE or adapter.status != AdapterStatus.READY or not adapter.path:
        raise ContentError(f"{adapter} is not a trained {generation.COPY_PURPOSE} adapter")
    active = adapter_active(generation.COPY_PURPOSE)
    if active is not None and active.pk == adapter.pk:
        raise ContentError(f"{adapter} is the active adapter already: the challenger must be another one")


def _split_arm(job: GenerationJob, product_id: int, challenger) -> bool:
    """Whether the product goes to the challenger's side of a split job (no challenger: never)."""
    return challenger is not None and bool(stable_bucket(job.pk, product_id, count=2))


def _dispatch_after_commit(count: int) -> None:
    """One task per batch: idle workers share the work; surplus tasks find nothing and stop."""
    if count:
        transaction.on_commit(lambda: dispatch_generation(count))


def dispatch_generation(count: int) -> int:
    """Send the tasks for ``count`` queued drafts; returns how many were sent.

    The drafts are already committed, so a broker that is down loses nothing: the
    request still succeeds and the sweeper dispatches the queued drafts once the
    broker answers again.
    """
    from content.tasks import generate_drafts

    sent = 0
    for _ in range(math.ceil(count / conf.ECOMCMS_GENERATION_BATCH_SIZE)):
        if not queueing.send(generate_drafts):
            break  # the broker is down: the sweeper sends the rest
        sent += 1
    return sent


# --- Generation (in the worker) --------------------------------------------------------------

def drafts_claim(*, limit: int, worker: str = "") -> list[Draft]:
    """Claim up to ``limit`` queued drafts, oldest due first, for this worker.

    On PostgreSQL, ``SKIP LOCKED`` lets workers claim disjoint batches without
    waiting on each other; the compare-and-set update makes a claim exclusive on
    any database, so two workers never generate the same draft.
    """
    now = timezone.now()
    with transaction.atomic():
        queued = Draft.objects.filter(status=DraftStatus.QUEUED).order_by(
            F("due_at").asc(nulls_last=True), "created_at", "pk"
        )
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True, of=("self",))
        ids = list(queued.values_list("pk", flat=True)[:limit])
        Draft.objects.filter(pk__in=ids, status=DraftStatus.QUEUED).update(
            status=DraftStatus.GENERATING, claimed_at=now, attempts=F("attempts") + 1, worker=worker or _worker_name(),
        )
        claimed = list(
            Draft.objects.filter(pk__in=ids, status=DraftStatus.GENERATING, claimed_at=now)
            .select_related("product", "template", "adapter", "revision")
        )
        DraftEvent.objects.bulk_create([
            DraftEvent(draft=d, from_status=DraftStatus.QUEUED, to_status=DraftStatus.GENERATING) for d in claimed
        ])
    return claimed


def drafts_generate(drafts: list[Draft]) -> dict[str, int]:
    """Generate a claimed batch in one model call, check the texts, and send them to review.

    Runs the model outside any transaction. Each result is saved with a
    compare-and-set on ``generating``, so a batch whose claim was taken back (a
    sweeper, a redelivery) cannot overwrite newer work.
    """
    if not drafts:
        return {"in_review": 0, "failed": 0, "requeued": 0}
    groups: dict[tuple, list[Draft]] = {}
    for draft in drafts:  # one model call per template and adapter (a split job's arms never share one)
        groups.setdefault((draft.template_id, draft.adapter_id, draft.revision_id is not None), []).append(draft)
    totals = {"in_review": 0, "failed": 0, "requeued": 0}
    for group in groups.values():
        for key, value in _generate_group(group).items():
            totals[key] += value
    return totals


@dataclass(frozen=True)
class Composed:
    """A draft's text written and checked, not saved yet."""

    draft: Draft
    written: generation.Written
    checks: list[dict]
    vector: object = None  # the text's embedding (numpy float32), when it was computed


def product_with_feedback(product: Product, feedback: str) -> Product:
    """The product as the editor's comment corrects it, for writing a regenerated draft.

    Facts stated in the comment ("battery life 12 hours, IPX7, no USB port") take precedence
    over the product's attributes, for every strategy (the prompt, the guard, the plan). An
    unsaved copy: the product itself is not changed.
    """
    if not (feedback or "").strip():
        return product
    corrected = shallow_copy(product)
    corrected.attributes = checks.attributes_with_comment(product.attributes or {}, feedback)
    return corrected


MAX_REPORTS_IN_PROMPT = 8  # a revision request's newest points go into the prompt; all are listed on the request


def revision_points(draft: Draft) -> tuple[str, ...]:
    """The redacted customer points of the revision request a draft answers (none: an ordinary draft)."""
    if not draft.revision_id:
        return ()
    reports = draft.revision.reports[-MAX_REPORTS_IN_PROMPT:]
    return tuple(r.get("text", "") for r in reports if r.get("text"))


def revision_strategy(template: PromptTemplate) -> str | None:
    """A revision answers what customers said, so the model must read the prompt: planned copy (where the
    model only ranks fixed sentences) becomes guarded generation (the model writes; numbers and attribute
    values stay those of the facts). Other strategies are kept."""
    return CopyStrategy.GUARDED if generation.strategy_for(template) == CopyStrategy.PLANNED else None


def drafts_compose(drafts: list[Draft], *, banned: list[str], strategy: str | None = None,
                   embed: bool = True, adapter: str | None = None) -> list[Composed]:
    """Write and check the texts of drafts that share one template, saving nothing.

    The one path from template to checked text: the worker saves what this returns
    (``_generate_group``), the copy-quality harness (``content.evaluation``) scores it.
    The drafts may be unsaved, with unsaved products: with ``embed=False`` (no
    near-duplicate search) and no review summaries, nothing here reads the database.
    Raises ``inference.ModelError`` when the model fails.
    """
    template = drafts[0].template
    requests = [
        generation.CopyRequest(
            product=product_with_feedback(d.product, d.feedback), variant=d.variant, feedback=d.feedback,
            reviews=d.product.reviews.all() if d.kind == CopyKind.REVIEW_SUMMARY else (),
            customer_reports=revision_points(d),
        )
        for d in drafts
    ]
    written = generation.copy_generate_batch(template=template, requests=requests, strategy=strategy, adapter=adapter)
    vectors = _embed_or_none([w.text for w in written]) if embed else None
    composed = []
    for index, (draft, item) in enumerate(zip(drafts, written)):
        vector = vectors[index] if vectors is not None else None
        results = draft_checks(draft=draft, text=item.text, vector=vector, banned=banned, prompt=item.prompt)
        composed.append(Composed(draft=draft, written=item, checks=results, vector=vector))
    return composed


def _generate_group(drafts: list[Draft]) -> dict[str, int]:
    if drafts[0].kind == CopyKind.REVIEW_SUMMARY:  # extractive, from the reviews (content/review_summaries.py)
        return review_summaries.summaries_generate(drafts)
    banned = list(BannedPhrase.objects.filter(is_active=True).values_list("phrase", flat=True))
    # A split job's challenger arm names its adapter; every other draft is written with the active one (None).
    adapter = drafts[0].adapter.path if drafts[0].adapter_id else None
    strategy = revision_strategy(drafts[0].template) if drafts[0].revision_id else None
    try:
        composed = drafts_compose(drafts, banned=banned, adapter=adapter, strategy=strategy)
    except inference.ModelError as exc:
        return _fail_or_requeue(drafts, str(exc), permanent=exc.permanent)
    counts = {"in_review": 0, "failed": 0, "requeued": 0}
    for item in composed:
        draft, result, vector = item.draft, item.written.generation, item.vector
        updated = Draft.objects.filter(pk=draft.pk, status=DraftStatus.GENERATING, claimed_at=draft.claimed_at).update(
            status=DraftStatus.IN_REVIEW,
            ai_text=item.written.text,
            model_id=result.model_id,
            generation_options=item.written.options.as_dict(),
            input_hash=prompts.input_hash(
                item.written.prompt, item.written.options, f"{conf.ECOMCMS_TEXT_MODEL}:{item.written.strategy}"
            ),
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            seconds=result.seconds,
            generated_at=timezone.now(),
            strategy=item.written.strategy,
            strategy_details={"grounded": result.grounded, **result.details},
            checks=item.checks,
            checks_passed=checks.all_passed(item.checks),
            embedding=vector.tobytes() if vector is not None else None,
            failure_reason="",
            updated_at=timezone.now(),
        )
        if updated:
            DraftEvent.objects.create(
                draft_id=draft.pk, from_status=DraftStatus.GENERATING, to_status=DraftStatus.IN_REVIEW
            )
            counts["in_review"] += 1
        else:
            logger.info("draft %s was no longer generating; result dropped", draft.pk)
    return counts


def _embed_or_none(texts: list[str]):
    try:
        return inference.get_embedder().embed(texts).vectors
    except inference.ModelError as exc:
        logger.warning("near-duplicate check skipped: %s", exc)
        return None


def draft_checks(*, draft: Draft, text: str, vector, banned: list[str], prompt=None,
                 compare_later: bool = False) -> list[dict]:
    """Every check of a draft's text; ``compare_later``: the near-duplicate check waits for a worker."""
    product = draft.product
    sources = "\n".join([prompt.system, prompt.user]) if prompt else ""
    summary = draft.kind == CopyKind.REVIEW_SUMMARY
    pending = [summaries.support_pending()] if compare_later and summary else []
    text = summaries.mask_header(text) if summary else text  # the computed "Based on N reviews" is no claim
    results = pending + checks.run_checks(
        text, max_chars=draft.template.max_chars, attributes={k: str(v) for k, v in (product.attributes or {}).items()},
        title=product.title, brand=product.brand, category=product.category, price=product.price,
        currency=product.currency, banned_phrases=banned, sources=sources, data=prompt.user if prompt else "",
        feedback=draft.feedback, complete_sentences=draft.kind not in SHORT_KINDS,
        near_duplicates=_near_duplicates(draft, vector), near_duplicate_pending=compare_later,
    )
    return review_summaries.summary_facts_from_reviews(draft, text, results) if summary else results


def _compare_after_commit(draft_id: int) -> None:
    """Web requests never run a model: the embedding of a text a person wrote is computed by a worker."""
    from content.tasks import compare_draft

    # Unsent (broker down), the check stays "not compared yet"; the text is saved either way.
    queueing.send_after_commit(compare_draft, (draft_id,))


def draft_compare(draft_id: int) -> Draft | None:
    """In a worker: embed the draft's current text and fill in its near-duplicate check.

    Saved only if the text is still the one that was embedded (a newer edit sends its own task).
    """
    draft = Draft.objects.select_related("product").filter(pk=draft_id).first()
    if draft is None:
        return None
    text = draft.editor_text or draft.ai_text
    vectors = _embed_or_none([text])
    if vectors is None:
        return None
    result = checks.near_duplicate_result(_near_duplicates(draft, vectors[0]))
    results = [result if c["name"] == "near_duplicate" else c for c in draft.checks]
    if not any(c["name"] == "near_duplicate" for c in results):
        results.append(result)
    if draft.kind == CopyKind.REVIEW_SUMMARY:
        results = review_summaries.summary_recheck(draft, results, text)
    same_text = Q(editor_text=draft.editor_text) if draft.editor_text else Q(editor_text="", ai_text=draft.ai_text)
    Draft.objects.filter(same_text, pk=draft.pk).update(
        checks=results, checks_passed=checks.all_passed(results), embedding=vectors[0].tobytes())
    return Draft.objects.get(pk=draft.pk)


def _near_duplicates(draft: Draft, vector) -> list[tuple[str, float]]:
    if vector is None:
        return []
    others = (
        Draft.objects.filter(kind=draft.kind, embedding__isnull=False)
        .exclude(product_id=draft.product_id)
        .filter(status__in=[DraftStatus.IN_REVIEW, DraftStatus.APPROVED, DraftStatus.PUBLISHED])
        .order_by("-generated_at")
        .values_list("product__sku", "embedding")[:NEAR_DUPLICATE_POOL]
    )
    rows = list(others)
    if not rows:
        return []
    matrix = np.frombuffer(b"".join(bytes(e) for _, e in rows), dtype=np.float32).reshape(len(rows), -1)
    if matrix.shape[1] != vector.shape[0]:
        return []
    similarities = matrix @ vector
    best = np.argsort(-similarities)[:3]
    return [(rows[i][0], float(similarities[i])) for i in best]


def _fail_or_requeue(drafts: list[Draft], reason: str, *, permanent: bool) -> dict[str, int]:
    counts = {"in_review": 0, "failed": 0, "requeued": 0}
    for draft in drafts:
        if permanent or draft.attempts >= MAX_ATTEMPTS:
            to_status, key = DraftStatus.FAILED, "failed"
            updates = {"failure_reason": reason[:2000]}
        else:
            to_status, key = DraftStatus.QUEUED, "requeued"
            updates = {"failure_reason": reason[:2000], "claimed_at": None}
        claim = Draft.objects.filter(pk=draft.pk, status=DraftStatus.GENERATING, claimed_at=draft.claimed_at)
        if claim.update(status=to_status, **updates):
            DraftEvent.objects.create(
                draft_id=draft.pk, from_status=DraftStatus.GENERATING, to_status=to_status, comment=reason[:2000]
            )
            counts[key] += 1
    if counts["requeued"]:
        _dispatch_after_commit(counts["requeued"])
    return counts


def drafts_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Recover work a lost worker or a lost message left behind (Celery beat runs this every minute).

    - A draft ``generating`` for longer than the lease belonged to a worker that died
      (or was killed): it goes back to the queue, or fails with the reason once it
      has used up its attempts.
    - Drafts ``queued`` for longer than a minute may have lost their task (a broker
      restart, or a broker that was down at dispatch): their tasks are sent again.
      Extra tasks are harmless: they find nothing to claim.
    """
    now = now or timezone.now()
    expired = now - timedelta(seconds=conf.ECOMCMS_GENERATION_LEASE_SECONDS)
    counts = {"requeued": 0, "failed": 0, "dispatched": 0}
    for draft in Draft.objects.filter(status=DraftStatus.GENERATING, claimed_at__lt=expired):
        give_up = draft.attempts >= MAX_ATTEMPTS
        to_status = DraftStatus.FAILED if give_up else DraftStatus.QUEUED
        reason = (f"the worker stopped while generating ({draft.attempts} attempts)" if give_up
                  else f"claim expired after {conf.ECOMCMS_GENERATION_LEASE_SECONDS} s: the worker was lost")
        claim = Draft.objects.filter(pk=draft.pk, status=DraftStatus.GENERATING, claimed_at=draft.claimed_at)
        if claim.update(status=to_status, claimed_at=None, failure_reason=reason if give_up else draft.failure_reason):
            DraftEvent.objects.create(
                draft_id=draft.pk, from_status=DraftStatus.GENERATING, to_status=to_status, comment=reason
            )
            counts["failed" if give_up else "requeued"] += 1
    waiting = Draft.objects.filter(status=DraftStatus.QUEUED, updated_at__lt=now - timedelta(seconds=60)).count()
    if waiting or counts["requeued"]:
        counts["dispatched"] = dispatch_generation(waiting + counts["requeued"])
    return counts


def drafts_process_queue(*, batch_size: int | None = None, max_batches: int = 1, worker: str = "") -> dict[str, int]:
    """Claim and generate batches until the queue is empty or ``max_batches`` were done."""
    batch_size = batch_size or conf.ECOMCMS_GENERATION_BATCH_SIZE
    totals = {"in_review": 0, "failed": 0, "requeued": 0}
    for _ in range(max_batches):
        batch = drafts_claim(limit=batch_size, worker=worker)
        if not batch:
            break
        for key, value in drafts_generate(batch).items():
            totals[key] += value
    return totals


# --- Review transitions ----------------------------------------------------------------------

def draft_edit(*, draft: Draft, actor, text: str, comment: str = "") -> Draft:
    """Save the editor's version. Editing an approved draft sends it back to review."""
    require_permission(actor, "ecomcms_content.change_draft", error=NotAllowed)
    clean = postprocess.sanitize(text)
    if not clean.strip():
        raise ContentError("the edited text is empty")
    current = Draft.objects.select_related("product", "template").get(pk=draft.pk)
    banned = list(BannedPhrase.objects.filter(is_active=True).values_list("phrase", flat=True))
    results = draft_checks(draft=current, text=clean, vector=None, banned=banned, compare_later=True,
                           prompt=prompts.build_prompt(template=current.template, product=current.product))
    updates = {"editor_text": clean, "checks": results, "checks_passed": checks.all_passed(results)}
    if current.status == DraftStatus.APPROVED:
        with transaction.atomic():
            _compare_after_commit(current.pk)
            return _transition(current, actor=actor, allowed_from=[DraftStatus.APPROVED],
                               to_status=DraftStatus.IN_REVIEW, verb="edit",
                               comment=comment or "edited after approval: back to review", **updates)
    with transaction.atomic():
        _compare_after_commit(current.pk)
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.status != DraftStatus.IN_REVIEW:
            raise DraftStateError(f"cannot edit a draft that is {locked.get_status_display().lower()}")
        for field, value in updates.items():
            setattr(locked, field, value)
        locked.save()
        DraftEvent.objects.create(draft=locked, actor=actor, from_status=locked.status, to_status=locked.status,
                                  comment=comment or "edited")
    return locked


def draft_write(*, product: Product, kind: str, text: str, actor, variant: int = 1) -> Draft:
    """A draft written by a person instead of the model: it goes straight to review, like any other."""
    require_permission(actor, "ecomcms_content.change_draft", error=NotAllowed)
    clean = postprocess.sanitize(text)
    if not clean.strip():
        raise ContentError("the text is empty")
    template = template_active(kind)
    with transaction.atomic():
        draft = Draft.objects.create(
            product=product, kind=kind, variant=variant, template=template, status=DraftStatus.IN_REVIEW,
            editor_text=clean, model_id="", generated_at=None,
        )
        draft.checks = draft_checks(
            draft=draft,
            text=clean,
            vector=None,
            compare_later=True,
            banned=list(BannedPhrase.objects.filter(is_active=True).values_list("phrase", flat=True)),
        )
        _compare_after_commit(draft.pk)
        draft.checks_passed = checks.all_passed(draft.checks)
        draft.save(update_fields=["checks", "checks_passed"])
        DraftEvent.objects.create(draft=draft, actor=actor, from_status="", to_status=DraftStatus.IN_REVIEW,
                                  comment="written by hand")
    return draft


def draft_approve(*, draft: Draft, actor, comment: str = "") -> Draft:
    require_permission(actor, "ecomcms_content.review_draft", error=NotAllowed)
    return _transition(draft, actor=actor, allowed_from=[DraftStatus.IN_REVIEW], to_status=DraftStatus.APPROVED,
                       verb="approve", comment=comment)


def draft_reject(*, draft: Draft, actor, reason: str) -> Draft:
    require_permission(actor, "ecomcms_content.review_draft", error=NotAllowed)
    if not (reason or "").strip():
        raise ContentError("a reason is required to reject a draft")
    return _transition(draft, actor=actor, allowed_from=[DraftStatus.IN_REVIEW], to_status=DraftStatus.REJECTED,
                       verb="reject", comment=reason.strip())


def draft_request_changes(*, draft: Draft, actor, comment: str, regenerate: bool = True) -> Draft:
    """Send a draft back with a comment; by default a new draft is queued with the comment in its prompt."""
    require_permission(actor, "ecomcms_content.review_draft", error=NotAllowed)
    if not (comment or "").strip():
        raise ContentError("a comment is required to request changes")
    with transaction.atomic():
        changed = _transition(
            draft,
            actor=actor,
            allowed_from=[DraftStatus.IN_REVIEW],
            to_status=DraftStatus.CHANGES_REQUESTED,
            verb="request changes to",
            comment=comment.strip(),
        )
        if regenerate:
            draft_regenerate(draft=changed, actor=actor)
    return changed


def draft_regenerate(*, draft: Draft, actor) -> Draft:
    """Queue a new draft for the same product, kind and variant, with the editor's comment in its prompt."""
    require_permission(actor, "ecomcms_content.request_generation", error=NotAllowed)
    with transaction.atomic():
        old = Draft.objects.select_for_update().get(pk=draft.pk)
        if old.status != DraftStatus.CHANGES_REQUESTED:
            raise DraftStateError(f"cannot regenerate a draft that is {old.get_status_display().lower()}")
        if old.regenerations.exists():
            raise DraftStateError("this draft was already regenerated")
        comment = (
            old.events.filter(to_status=DraftStatus.CHANGES_REQUESTED)
            .order_by("-at", "-pk")
            .values_list("comment", flat=True)
            .first()
            or ""
        )
        # Comments on earlier rounds still hold; the newest comes last, so its facts win.
        feedback = "\n".join(part for part in (old.feedback.strip(), comment.strip()) if part)
        new = Draft.objects.create(
            product_id=old.product_id, kind=old.kind, variant=old.variant, template=template_active(old.kind),
            regenerates=old, feedback=feedback, due_at=old.due_at, job=old.job,
            adapter_id=old.adapter_id,  # a split job's challenger stays the challenger
            revision_id=old.revision_id,  # a revision request follows its drafts through every round
        )
        if old.job_id:  # one more draft for the job to wait for: progress stays within 100%
            GenerationJob.objects.filter(pk=old.job_id).update(total=F("total") + 1)
        DraftEvent.objects.create(draft=new, actor=actor, from_status="", to_status=DraftStatus.QUEUED,
                                  comment=f"regenerates draft {old.pk}")
        DraftEvent.objects.create(draft=old, actor=actor, from_status=old.status, to_status=old.status,
                                  comment=f"regenerated as draft {new.pk}")
        _dispatch_after_commit(1)
    return new


def draft_retry(*, draft: Draft, actor) -> Draft:
    """Put a failed draft back in the queue."""
    require_permission(actor, "ecomcms_content.request_generation", error=NotAllowed)
    with transaction.atomic():
        retried = _transition(draft, actor=actor, allowed_from=[DraftStatus.FAILED], to_status=DraftStatus.QUEUED,
                              verb="retry", attempts=0, failure_reason="", claimed_at=None)
        _dispatch_after_commit(1)
    return retried


def draft_publish(*, draft: Draft, actor, now: datetime | None = None) -> PublishedCopy:
    """Make an approved draft the product's published copy; the previous publication is superseded."""
    require_permission(actor, "ecomcms_content.publish_draft", error=NotAllowed)
    now = now or timezone.now()
    with transaction.atomic():
        published = _transition(
            draft, actor=actor, allowed_from=[DraftStatus.APPROVED], to_status=DraftStatus.PUBLISHED, verb="publish"
        )
        previous = list(
            PublishedCopy.objects.select_for_update().filter(
                product_id=published.product_id,
                kind=published.kind,
                variant=published.variant,
                superseded_at__isnull=True,
            )
        )
        catalog_changed()  # the supersession below is a queryset update, which sends no signal
        for copy in previous:
            PublishedCopy.objects.filter(pk=copy.pk).update(superseded_at=now)
            if Draft.objects.filter(pk=copy.draft_id, status=DraftStatus.PUBLISHED).update(
                status=DraftStatus.SUPERSEDED
            ):
                DraftEvent.objects.create(
                    draft_id=copy.draft_id,
                    actor=actor,
                    from_status=DraftStatus.PUBLISHED,
                    to_status=DraftStatus.SUPERSEDED,
                    comment=f"superseded by draft {published.pk}",
                )
        return PublishedCopy.objects.create(
            product_id=published.product_id, kind=published.kind, variant=published.variant, text=published.text,
            draft=published, published_by=actor, published_at=now,
        )


def draft_approve_and_publish(*, draft: Draft, actor, comment: str = "") -> PublishedCopy:
    require_permission(actor, "ecomcms_content.publish_draft", error=NotAllowed)
    with transaction.atomic():
        approved = draft_approve(draft=draft, actor=actor, comment=comment)
        return draft_publish(draft=approved, actor=actor)


def draft_schedule(*, draft: Draft, actor, publish_at: datetime | None) -> Draft:
    """Set (or clear) when an approved or in-review draft publishes itself once approved."""
    require_permission(actor, "ecomcms_content.publish_draft", error=NotAllowed)
    updated = Draft.objects.filter(pk=draft.pk, status__in=[DraftStatus.IN_REVIEW, DraftStatus.APPROVED]).update(
        publish_at=publish_at
    )
    if not updated:
        raise DraftStateError("only drafts in review or approved can be scheduled")
    DraftEvent.objects.create(
        draft_id=draft.pk,
        actor=actor,
        from_status=draft.status,
        to_status=draft.status,
        comment=f"scheduled to publish at {publish_at:%Y-%m-%d %H:%M %Z}" if publish_at else "schedule cleared",
    )
    return Draft.objects.get(pk=draft.pk)


def drafts_publish_due(*, now: datetime | None = None) -> int:
    """Publish approved drafts whose time has come (run by Celery beat)."""
    now = now or timezone.now()
    count = 0
    for draft in Draft.objects.filter(status=DraftStatus.APPROVED, publish_at__lte=now).order_by("publish_at"):
        try:
            draft_publish(draft=draft, actor=None, now=now)
            count += 1
        except DraftStateError:
            continue  # changed since we looked: someone edited or published it
    return count


def drafts_bulk_approve(*, drafts, actor) -> tuple[int, int]:
    """Approve the drafts in review whose checks all passed; returns (approved, skipped)."""
    require_permission(actor, "ecomcms_content.review_draft", error=NotAllowed)
    approved = skipped = 0
    for draft in drafts:
        if draft.status != DraftStatus.IN_REVIEW or not draft.checks_passed:
            skipped += 1
            continue
        try:
            draft_approve(draft=draft, actor=actor, comment="bulk approval: all checks passed")
            approved += 1
        except DraftStateError:
            skipped += 1
    return approved, skipped


def products_matching(*, category: str | None = None, brand: str | None = None, skus: list[str] | None = None,
                          active_only: bool = True):
    products = Product.objects.all()
    if active_only:
        products = products.filter(is_active=True)
    if category:
        products = products.filter(category__iexact=category)
    if brand:
        products = products.filter(brand__iexact=brand)
    if skus:
        products = products.filter(sku__in=skus)
    return products
