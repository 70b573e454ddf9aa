"""The review workflow as editors and writers click through it in the admin."""

import pytest
from django.urls import reverse

from content import services
from content.models import Draft, DraftStatus, GenerationJob, PromptTemplate, PublishedCopy, TemplatePreview
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(writer, fake_models):
    product = make_product(title="Trail Shoe", attributes={"material": "polyester", "colour": "blue"})
    services.drafts_request(products=[product], kind="description", actor=writer)
    services.drafts_process_queue()
    return Draft.objects.get(product=product)


def change_url(draft):
    return reverse("admin:ecomcms_content_draft_change", args=[draft.pk])


def decide(client, draft, decision, comment=""):
    return client.post(
        reverse("admin:ecomcms_content_draft_decide", args=[draft.pk]), {"decision": decision, "comment": comment}
    )


def test_the_review_page_shows_facts_text_and_checks_with_highlights(client, editor, draft, writer):
    services.draft_edit(draft=draft, actor=writer, text="Made from 100% cotton.")
    client.force_login(editor)

    page = client.get(change_url(draft)).content.decode()

    assert "Trail Shoe" in page and "polyester" in page
    assert "Generated copy for:" in page  # the AI text
    assert "<del>" in page and "<ins>" in page  # the editor's edits as a diff
    assert "<mark>100% cotton</mark>" in page
    assert 'value="approve"' in page and 'value="request_changes"' in page


def test_hostile_text_is_escaped_on_the_review_page(client, editor, draft):
    Draft.objects.filter(pk=draft.pk).update(
        ai_text='<script>alert("ai")</script>', editor_text="<img src=x onerror=alert(1)>"
    )
    client.force_login(editor)

    page = client.get(change_url(draft)).content.decode()

    assert '<script>alert("ai")</script>' not in page
    assert "<img src=x onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(&quot;ai&quot;)&lt;/script&gt;" in page


def test_an_editor_approves_and_publishes_from_the_review_page(client, editor, draft):
    client.force_login(editor)

    response = decide(client, draft, "approve_publish")

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == DraftStatus.PUBLISHED
    assert PublishedCopy.objects.get(draft=draft).published_by == editor


@pytest.mark.parametrize(("decision", "comment", "said", "status"), [
    ("approve", "", "Approved", DraftStatus.APPROVED),
    ("reject", "Off brand.", "Rejected", DraftStatus.REJECTED),
])
def test_each_review_button_calls_its_service_and_says_what_it_did(client, editor, draft, decision, comment, said,
                                                                      status):
    client.force_login(editor)

    response = decide(client, draft, decision, comment)

    draft.refresh_from_db()
    assert draft.status == status
    assert [str(m) for m in response.wsgi_request._messages] == [f"{said}: {draft}."]


def test_an_unknown_review_button_changes_nothing_and_says_so(client, editor, draft):
    client.force_login(editor)
    events = draft.events.count()

    response = decide(client, draft, "approve_everything")

    draft.refresh_from_db()
    assert draft.status == DraftStatus.IN_REVIEW and draft.events.count() == events
    assert [str(m) for m in response.wsgi_request._messages] == ["Unknown decision."]


def test_requesting_changes_without_a_comment_is_refused_with_a_message(client, editor, draft):
    client.force_login(editor)

    response = decide(client, draft, "request_changes")

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == DraftStatus.IN_REVIEW
    messages = [m.message for m in client.get(change_url(draft)).context["messages"]]
    assert "a comment is required to request changes" in messages


def test_requesting_changes_queues_a_regenerated_draft(client, editor, draft):
    client.force_login(editor)

    decide(client, draft, "request_changes", "Shorter, please.")

    assert Draft.objects.get(regenerates=draft).feedback == "Shorter, please."


def test_a_writer_sees_no_review_buttons_and_cannot_approve_by_posting(client, writer, draft):
    client.force_login(writer)

    page = client.get(change_url(draft)).content.decode()
    decide(client, draft, "approve")

    assert 'value="approve"' not in page
    draft.refresh_from_db()
    assert draft.status == DraftStatus.IN_REVIEW


def test_a_writer_edits_the_text_in_the_form(client, writer, draft):
    client.force_login(writer)

    response = client.post(
        change_url(draft),
        {
            "editor_text": "A blue polyester trail shoe.",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.editor_text == "A blue polyester trail shoe."
    assert draft.ai_text.startswith("Generated copy for:")


def test_the_review_queue_filters_by_failed_check(client, editor, draft, writer):
    services.draft_edit(draft=draft, actor=writer, text="Made from 100% cotton.")
    client.force_login(editor)

    flagged = (
        client.get(reverse("admin:ecomcms_content_draft_changelist") + "?failed_check=facts").context["cl"].result_count
    )
    clean = (
        client.get(reverse("admin:ecomcms_content_draft_changelist") + "?failed_check=none").context["cl"].result_count
    )

    assert (flagged, clean) == (1, 0)


def test_bulk_generation_from_the_product_list(client, writer, fake_models):
    products = [make_product() for _ in range(3)]
    client.force_login(writer)
    url = reverse("admin:ecomcms_content_product_changelist")
    selection = {"action": "generate_drafts", "_selected_action": [p.pk for p in products]}

    confirm = client.post(url, selection)
    done = client.post(url, selection | {"apply": "1", "kind": "seo_title"})

    assert confirm.status_code == 200 and "Queue drafts" in confirm.content.decode()
    assert done.status_code == 302
    job = GenerationJob.objects.get()
    assert (job.kind, job.total, job.requested_by) == ("seo_title", 3, writer)


def test_the_job_page_shows_progress(client, editor, draft):
    client.force_login(editor)

    page = client.get(reverse("admin:ecomcms_content_generationjob_changelist")).content.decode()

    assert '<progress max="1" value="1">' in page
    assert "100% &middot; 1 / 1 done" in page


def test_bulk_approve_action(client, editor, draft):
    Draft.objects.filter(pk=draft.pk).update(checks_passed=True)
    client.force_login(editor)

    client.post(
        reverse("admin:ecomcms_content_draft_changelist"), {"action": "bulk_approve", "_selected_action": [draft.pk]}
    )

    assert Draft.objects.get(pk=draft.pk).status == DraftStatus.APPROVED


def test_editing_a_template_in_the_admin_saves_a_new_version(client, editor):
    template = services.template_active("description")
    client.force_login(editor)

    response = client.post(reverse("admin:ecomcms_content_prompttemplate_change", args=[template.pk]), {
        "kind": "description", "system": "New system", "user": "Describe {title}.", "options": "{}", "max_chars": "400",
    })

    assert response.status_code == 302
    versions = list(
        PromptTemplate.objects.filter(kind="description")
        .order_by("version")
        .values_list("version", "is_active", "system")
    )
    assert versions == [(1, False, template.system), (2, True, "New system")]


def test_a_template_preview_runs_in_the_worker_and_creates_no_draft(
    client, editor, django_capture_on_commit_callbacks, fake_models
):
    template = services.template_active("description")
    product = make_product()
    client.force_login(editor)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("admin:ecomcms_content_prompttemplate_preview", args=[template.pk]), {"product": product.pk}
        )

    preview = TemplatePreview.objects.get()
    assert response.status_code == 302 and len(callbacks) == 1
    services.template_preview_run(preview.pk)  # what the task does
    preview.refresh_from_db()
    assert preview.status == "done" and preview.text.startswith("Generated copy for:")
    assert not Draft.objects.exists()


@pytest.mark.django_db(transaction=True)  # the task is sent after a real commit
def test_a_preview_asked_for_while_the_broker_is_down_fails_at_once_saying_why(client, editor, broker_down):
    template = services.template_active("description")
    client.force_login(editor)

    response = client.post(reverse("admin:ecomcms_content_prompttemplate_preview", args=[template.pk]),
                           {"product": make_product().pk}, follow=True)

    preview = TemplatePreview.objects.get()
    assert preview.status == "failed" and preview.error == services.PREVIEW_NOT_SENT
    assert [str(m) for m in response.context["messages"]] == [f"The preview was {services.PREVIEW_NOT_SENT}."]
    assert not Draft.objects.exists()


def test_the_review_queue_lists_drafts_in_review_and_opens_the_review_page(client, editor, draft, writer):
    other = Draft.objects.create(
        product=make_product(), kind="description", template=draft.template, status=DraftStatus.REJECTED
    )
    client.force_login(editor)

    listing = client.get(reverse("admin:ecomcms_content_reviewqueue_changelist"))
    opened = client.get(reverse("admin:ecomcms_content_reviewqueue_change", args=[draft.pk]))

    shown = list(listing.context["cl"].result_list)
    assert shown == [draft] and other not in shown
    assert opened.status_code == 302 and opened["Location"] == change_url(draft)
