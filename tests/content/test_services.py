"""The editorial workflow: every transition, every refusal, every role; generation around a fake model.

The fake model proves the plumbing only; tests/content/test_integration.py runs the real one.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from content import services
from content.models import Draft, DraftEvent, DraftStatus, GenerationJob, PublishedCopy
from ecomcms import inference
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db


def queue(products, actor, kind="description"):
    return services.drafts_request(products=products, kind=kind, actor=actor)


def in_review_draft(writer, **product_fields) -> Draft:
    product = make_product(**product_fields)
    queue([product], writer)
    services.drafts_process_queue(max_batches=5)
    draft = Draft.objects.get(product=product)
    assert draft.status == DraftStatus.IN_REVIEW
    return draft


def statuses(draft) -> list[tuple[str, str]]:
    return list(DraftEvent.objects.filter(draft=draft).values_list("from_status", "to_status"))


# --- Requesting ---------------------------------------------------------------------------

def test_a_request_queues_one_draft_per_product_and_dispatches_after_commit(
    writer, django_capture_on_commit_callbacks, settings
):
    settings.ECOMCMS_GENERATION_BATCH_SIZE = 2
    products = [make_product() for _ in range(3)]

    with django_capture_on_commit_callbacks() as callbacks:
        job = queue(products, writer)

    assert job.total == 3
    assert Draft.objects.filter(job=job, status=DraftStatus.QUEUED).count() == 3
    assert (
        DraftEvent.objects.filter(draft__job=job, from_status="", to_status=DraftStatus.QUEUED, actor=writer).count()
        == 3
    )
    assert len(callbacks) == 1  # the dispatch, queued only once the rows are committed


def test_ad_copy_asks_for_several_variants(writer):
    job = queue([make_product()], writer, kind="ad_headline")

    assert sorted(Draft.objects.filter(job=job).values_list("variant", flat=True)) == [1, 2, 3]


def test_a_repeated_request_skips_drafts_already_on_their_way(writer):
    product = make_product()
    queue([product], writer)

    second = queue([product], writer)

    assert second.total == 0
    assert Draft.objects.filter(product=product).count() == 1


def test_someone_without_the_role_cannot_request_drafts(outsider):
    product = make_product()

    with pytest.raises(services.NotAllowed):
        queue([product], outsider)

    assert not Draft.objects.exists() and not GenerationJob.objects.exists()


def test_an_unknown_kind_is_refused(writer):
    with pytest.raises(services.ContentError, match="unknown kind"):
        queue([make_product()], writer, kind="poem")


# --- Claiming and generating (fake model) ---------------------------------------------------

def test_claims_take_the_oldest_due_first_and_never_the_same_draft_twice(writer):
    products = [make_product() for _ in range(3)]
    queue(products, writer)
    now = timezone.now()
    for offset, product in zip([3, 1, 2], products):
        Draft.objects.filter(product=product).update(due_at=now + timedelta(days=offset))

    first = services.drafts_claim(limit=2, worker="w1")
    second = services.drafts_claim(limit=2, worker="w2")
    third = services.drafts_claim(limit=2, worker="w3")

    assert [d.product for d in first] == [products[1], products[2]]
    assert [d.product for d in second] == [products[0]]
    assert third == []
    assert set(Draft.objects.values_list("status", flat=True)) == {DraftStatus.GENERATING}
    assert Draft.objects.get(product=products[0]).worker == "w2"


def test_a_batch_is_generated_in_one_model_call_with_provenance_and_checks(writer, fake_models, settings):
    settings.ECOMCMS_GENERATION_BATCH_SIZE = 8
    products = [make_product() for _ in range(3)]
    queue(products, writer)

    result = services.drafts_process_queue(max_batches=5)

    assert result == {"in_review": 3, "failed": 0, "requeued": 0}
    assert len(inference.get_generator().calls) == 1
    assert len(inference.get_generator().calls[0]) == 3
    for draft in Draft.objects.all():
        assert draft.status == DraftStatus.IN_REVIEW
        assert draft.ai_text.startswith("Generated copy for:")
        assert draft.model_id == "fake-generator"
        assert draft.tokens_out == 5 and draft.tokens_in > 0
        assert len(draft.input_hash) == 64
        assert draft.generation_options["max_new_tokens"] == 128
        assert draft.worker and draft.generated_at
        assert [c["name"] for c in draft.checks][:2] == ["length", "empty_or_repeated"]
        assert statuses(draft) == [("", "queued"), ("queued", "generating"), ("generating", "in_review")]


def test_a_redelivered_task_creates_no_second_draft(writer, fake_models):
    product = make_product()
    queue([product], writer)
    services.drafts_process_queue()

    again = services.drafts_process_queue()

    assert again == {"in_review": 0, "failed": 0, "requeued": 0}
    assert Draft.objects.filter(product=product).count() == 1


def test_a_result_for_a_draft_taken_back_meanwhile_is_dropped(writer, fake_models):
    product = make_product()
    queue([product], writer)
    batch = services.drafts_claim(limit=8)
    Draft.objects.filter(pk=batch[0].pk).update(status=DraftStatus.QUEUED)  # a sweeper took it back

    assert services.drafts_generate(batch)["in_review"] == 0
    assert Draft.objects.get().status == DraftStatus.QUEUED


class BrokenGenerator:
    model_id = "broken"

    def __init__(self, *args, **kwargs):
        pass

    def generate(self, prompts, options, **kwargs):
        raise inference.ModelError("out of memory", permanent=False)


def test_a_transient_model_error_requeues_then_fails_with_the_reason(writer, settings):
    settings.ECOMCMS_TEXT_BACKEND = "tests.content.test_services.BrokenGenerator"
    inference.reset()
    product = make_product()
    queue([product], writer)
    try:
        outcomes = [services.drafts_process_queue() for _ in range(services.MAX_ATTEMPTS)]
    finally:
        inference.reset()

    assert outcomes[0]["requeued"] == 1 and outcomes[-1]["failed"] == 1
    draft = Draft.objects.get(product=product)
    assert draft.status == DraftStatus.FAILED
    assert draft.failure_reason == "out of memory"
    assert draft.attempts == services.MAX_ATTEMPTS


def test_a_model_that_cannot_load_fails_the_drafts_at_once(writer, settings):
    settings.ECOMCMS_TEXT_MODEL = "/nonexistent/model"
    inference.reset()
    product = make_product()
    queue([product], writer)
    try:
        services.drafts_process_queue()
    finally:
        inference.reset()

    draft = Draft.objects.get(product=product)
    assert draft.status == DraftStatus.FAILED
    assert "ECOMCMS_TEXT_MODEL" in draft.failure_reason


def test_a_failed_draft_can_be_retried(writer, settings, fake_models):
    product = make_product()
    queue([product], writer)
    draft = Draft.objects.get()
    Draft.objects.filter(pk=draft.pk).update(status=DraftStatus.FAILED, failure_reason="boom", attempts=3)

    services.draft_retry(draft=draft, actor=writer)
    services.drafts_process_queue()

    draft.refresh_from_db()
    assert draft.status == DraftStatus.IN_REVIEW
    assert draft.attempts == 1 and draft.failure_reason == ""


# --- Review transitions ---------------------------------------------------------------------

def test_an_editor_approves_and_publishes(writer, editor, fake_models):
    draft = in_review_draft(writer)

    services.draft_approve(draft=draft, actor=editor, comment="good")
    copy = services.draft_publish(draft=draft, actor=editor)

    draft.refresh_from_db()
    assert draft.status == DraftStatus.PUBLISHED
    assert copy.text == draft.ai_text and copy.published_by == editor and copy.superseded_at is None
    assert statuses(draft)[-2:] == [("in_review", "approved"), ("approved", "published")]
    assert DraftEvent.objects.filter(draft=draft, to_status="approved").get().comment == "good"


def test_a_newer_publication_supersedes_the_old_one(writer, editor, fake_models):
    first = in_review_draft(writer)
    services.draft_approve_and_publish(draft=first, actor=editor)
    queue([first.product], writer)
    services.drafts_process_queue()
    second = Draft.objects.exclude(pk=first.pk).get(product=first.product)
    services.draft_edit(draft=second, actor=writer, text="A newer text.")

    services.draft_approve_and_publish(draft=second, actor=editor)

    current = PublishedCopy.objects.get(product=first.product, superseded_at__isnull=True)
    assert current.draft == second and current.text == "A newer text."
    assert PublishedCopy.objects.get(draft=first).superseded_at is not None
    first.refresh_from_db()
    assert first.status == DraftStatus.SUPERSEDED


def test_a_writer_cannot_approve_reject_or_publish(writer, fake_models):
    draft = in_review_draft(writer)

    for call in (
        lambda: services.draft_approve(draft=draft, actor=writer),
        lambda: services.draft_reject(draft=draft, actor=writer, reason="no"),
        lambda: services.draft_request_changes(draft=draft, actor=writer, comment="more"),
        lambda: services.draft_approve_and_publish(draft=draft, actor=writer),
    ):
        with pytest.raises(services.NotAllowed):
            call()

    draft.refresh_from_db()
    assert draft.status == DraftStatus.IN_REVIEW
    assert statuses(draft)[-1] == ("generating", "in_review")


def test_an_outsider_cannot_edit(writer, outsider, fake_models):
    draft = in_review_draft(writer)

    with pytest.raises(services.NotAllowed):
        services.draft_edit(draft=draft, actor=outsider, text="mine")

    draft.refresh_from_db()
    assert draft.editor_text == ""


@pytest.mark.parametrize(
    "status",
    [
        DraftStatus.QUEUED,
        DraftStatus.GENERATING,
        DraftStatus.APPROVED,
        DraftStatus.PUBLISHED,
        DraftStatus.REJECTED,
        DraftStatus.FAILED,
        DraftStatus.CHANGES_REQUESTED,
    ],
)
def test_approving_a_draft_not_in_review_is_refused(writer, editor, status, fake_models):
    draft = in_review_draft(writer)
    Draft.objects.filter(pk=draft.pk).update(status=status)
    events_before = DraftEvent.objects.count()

    with pytest.raises(services.DraftStateError):
        services.draft_approve(draft=draft, actor=editor)

    assert Draft.objects.get(pk=draft.pk).status == status
    assert DraftEvent.objects.count() == events_before


@pytest.mark.parametrize(
    "status", [DraftStatus.IN_REVIEW, DraftStatus.QUEUED, DraftStatus.REJECTED, DraftStatus.PUBLISHED]
)
def test_publishing_a_draft_that_is_not_approved_is_refused(writer, editor, status, fake_models):
    draft = in_review_draft(writer)
    Draft.objects.filter(pk=draft.pk).update(status=status)

    with pytest.raises(services.DraftStateError):
        services.draft_publish(draft=draft, actor=editor)

    assert not PublishedCopy.objects.exists()


@pytest.mark.parametrize("status", [DraftStatus.APPROVED, DraftStatus.REJECTED, DraftStatus.QUEUED])
def test_rejecting_or_requesting_changes_outside_review_is_refused(writer, editor, status, fake_models):
    draft = in_review_draft(writer)
    Draft.objects.filter(pk=draft.pk).update(status=status)

    with pytest.raises(services.DraftStateError):
        services.draft_reject(draft=draft, actor=editor, reason="bad")
    with pytest.raises(services.DraftStateError):
        services.draft_request_changes(draft=draft, actor=editor, comment="more")

    assert Draft.objects.count() == 1


def test_rejecting_needs_a_reason(writer, editor, fake_models):
    draft = in_review_draft(writer)

    with pytest.raises(services.ContentError, match="reason is required"):
        services.draft_reject(draft=draft, actor=editor, reason="  ")

    services.draft_reject(draft=draft, actor=editor, reason="off brand")
    draft.refresh_from_db()
    assert draft.status == DraftStatus.REJECTED
    assert DraftEvent.objects.filter(draft=draft).last().comment == "off brand"


def test_requesting_changes_needs_a_comment(writer, editor, fake_models):
    draft = in_review_draft(writer)

    with pytest.raises(services.ContentError, match="comment is required"):
        services.draft_request_changes(draft=draft, actor=editor, comment="")

    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.IN_REVIEW


def test_requesting_changes_regenerates_with_the_comment_in_the_prompt(writer, editor, fake_models):
    draft = in_review_draft(writer)

    services.draft_request_changes(draft=draft, actor=editor, comment="Mention the 2-year warranty.")
    services.drafts_process_queue()

    draft.refresh_from_db()
    assert draft.status == DraftStatus.CHANGES_REQUESTED
    new = Draft.objects.get(regenerates=draft)
    assert new.status == DraftStatus.IN_REVIEW
    assert new.feedback == "Mention the 2-year warranty."
    last_prompt = inference.get_generator().calls[-1][0]
    assert last_prompt.user.endswith("(the data above already has them):\nMention the 2-year warranty.")
    with pytest.raises(services.DraftStateError, match="already regenerated"):
        services.draft_regenerate(draft=draft, actor=editor)


def test_editing_an_approved_draft_sends_it_back_to_review(writer, editor, fake_models):
    draft = in_review_draft(writer)
    services.draft_approve(draft=draft, actor=editor)

    services.draft_edit(draft=draft, actor=writer, text="A better text.")

    draft.refresh_from_db()
    assert draft.status == DraftStatus.IN_REVIEW
    assert draft.editor_text == "A better text." and draft.ai_text.startswith("Generated copy")
    assert statuses(draft)[-1] == ("approved", "in_review")


def test_editing_a_published_draft_is_refused(writer, editor, fake_models):
    draft = in_review_draft(writer)
    services.draft_approve_and_publish(draft=draft, actor=editor)

    with pytest.raises(services.DraftStateError):
        services.draft_edit(draft=draft, actor=editor, text="sneaky")

    assert PublishedCopy.objects.get().text == draft.ai_text


def test_edited_html_is_sanitized_before_it_is_stored(writer, fake_models):
    draft = in_review_draft(writer)

    services.draft_edit(draft=draft, actor=writer, text='Great <script>alert("x")</script><b>shirt</b>')

    assert Draft.objects.get(pk=draft.pk).editor_text == "Great shirt"


def test_edited_text_is_stored_as_plain_text_and_served_so(writer, fake_models):
    draft = in_review_draft(writer)

    services.draft_edit(draft=draft, actor=writer, text="Salt &amp; pepper grinder, 5 < 6.")

    assert Draft.objects.get(pk=draft.pk).editor_text == "Salt & pepper grinder, 5 < 6."


def test_a_cotton_claim_on_a_polyester_product_is_flagged(writer, fake_models):
    draft = in_review_draft(writer, attributes={"material": "polyester"})

    services.draft_edit(draft=draft, actor=writer, text="Made from 100% cotton for all-day comfort.")

    draft.refresh_from_db()
    assert draft.checks_passed is False
    facts = next(c for c in draft.checks if c["name"] == "facts")
    assert not facts["passed"]
    assert any("cotton" in draft.editor_text[s:e] for s, e in facts["spans"])


def test_bulk_approval_takes_only_drafts_whose_checks_passed(writer, editor, fake_models):
    good = in_review_draft(writer)
    bad = in_review_draft(writer)
    Draft.objects.filter(pk=good.pk).update(checks_passed=True)
    Draft.objects.filter(pk=bad.pk).update(checks_passed=False)

    approved, skipped = services.drafts_bulk_approve(drafts=Draft.objects.all(), actor=editor)

    assert (approved, skipped) == (1, 1)
    assert Draft.objects.get(pk=good.pk).status == DraftStatus.APPROVED
    assert Draft.objects.get(pk=bad.pk).status == DraftStatus.IN_REVIEW


def test_scheduled_drafts_publish_when_their_time_comes(writer, editor, fake_models):
    draft = in_review_draft(writer)
    services.draft_approve(draft=draft, actor=editor)
    services.draft_schedule(draft=draft, actor=editor, publish_at=timezone.now() + timedelta(hours=1))

    assert services.drafts_publish_due() == 0
    assert services.drafts_publish_due(now=timezone.now() + timedelta(hours=2)) == 1

    draft.refresh_from_db()
    assert draft.status == DraftStatus.PUBLISHED
    assert PublishedCopy.objects.get().published_by is None  # the scheduler


def test_only_editors_schedule(writer, fake_models):
    draft = in_review_draft(writer)

    with pytest.raises(services.NotAllowed):
        services.draft_schedule(draft=draft, actor=writer, publish_at=timezone.now())


def test_a_new_template_version_becomes_the_active_one(editor):
    first = services.template_active("description")

    second = services.template_save_version(
        kind="description", system="S", user="U {title}", options={"max_new_tokens": 64}, max_chars=300, actor=editor
    )

    first.refresh_from_db()
    assert (first.is_active, second.is_active, second.version) == (False, True, first.version + 1)
    assert services.template_active("description") == second


def test_template_options_are_validated_before_saving(editor):
    with pytest.raises(ValueError, match="unknown generation options"):
        services.template_save_version(
            kind="description", system="S", user="U", options={"beams": 3}, max_chars=300, actor=editor
        )


def test_a_person_can_write_copy_that_goes_through_review_like_ai_copy(writer, editor):
    product = make_product(attributes={"material": "polyester"})

    draft = services.draft_write(
        product=product, kind="description", text="A <b>light</b> polyester shirt.", actor=writer
    )
    services.draft_approve_and_publish(draft=draft, actor=editor)

    assert PublishedCopy.objects.get(product=product).text == "A light polyester shirt."  # stored as plain text
    assert draft.model_id == "" and draft.ai_text == ""
    assert statuses(draft) == [("", "in_review"), ("in_review", "approved"), ("approved", "published")]


def test_an_outsider_cannot_write_copy(outsider):
    with pytest.raises(services.NotAllowed):
        services.draft_write(product=make_product(), kind="description", text="Mine.", actor=outsider)

    assert not Draft.objects.exists()
