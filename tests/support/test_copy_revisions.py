"""Tickets that show a product's copy misled the customer open one revision request on that copy."""

from __future__ import annotations

import pytest

from content import services as content_services
from content.models import CopyRevision, Draft, DraftStatus
from content.selectors import products_mentioned
from support import services
from support.models import Intent, SetBy, Ticket, TicketCopyRevision
from support.services.revisions import ticket_copy_revision
from tests.content.factories import make_product
from tests.support.factories import make_ticket
from tests.support.fakes import ScriptedGenerator

pytestmark = pytest.mark.django_db

EMAIL, PHONE, CARD = "anna.becker@example.com", "+44 7911 123456", "4242 4242 4242 4242"
MISLED = (f"The page of TRS-42 says it runs true to size 42 but it fits like a 40. Write to {EMAIL}, "
          f"call {PHONE}; I paid with {CARD}.")


@pytest.fixture
def shoe(db):
    Intent.objects.create(name="not_as_described", description="the product is not what the page said")
    Intent.objects.create(name="track_order", description="where is my parcel")
    return make_product(sku="TRS-42", slug="trail-runner-gtx", title="Trail Runner GTX",
                        attributes={"size": "42", "material": "mesh", "fit": "narrow"})


def reported(body: str, *, intent: str = "not_as_described", subject: str = "Wrong size") -> Ticket:
    ticket, _ = make_ticket(subject=subject, body=body)
    Ticket.objects.filter(pk=ticket.pk).update(intent=intent, intent_set_by=SetBy.MODEL)
    ticket.refresh_from_db()
    ticket_copy_revision(ticket)
    return ticket


def assert_no_personal_data(text: str) -> None:
    for secret in (EMAIL, PHONE, CARD, "7911 123456", "4242 4242", "Anna Becker"):
        assert secret not in text


def test_a_misleading_copy_ticket_opens_one_revision_draft_with_redacted_text_two_such_tickets_still_one(
        shoe, django_capture_on_commit_callbacks, recording_models):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = reported(MISLED)
    revision = CopyRevision.objects.get()
    draft = Draft.objects.get()
    assert (revision.product, revision.status, draft.revision, draft.status, draft.kind, draft.variant) == (
        shoe, CopyRevision.Status.OPEN, revision, DraftStatus.QUEUED, "description", 1)
    assert len(queued) == 1  # generation is queued after commit, like any draft
    assert [r["source"] for r in revision.reports] == [first.public_id]
    assert revision.reports[0]["url"] == f"/admin/ecomcms_support/ticket/{first.pk}/change/"
    assert "fits like a 40" in revision.reports[0]["text"] and "[EMAIL_1]" in revision.reports[0]["text"]
    assert_no_personal_data(str(revision.reports))

    second = reported("Bought the Trail Runner GTX: the description promised size 42, it is a 40.",
                      subject="Too small")

    assert (CopyRevision.objects.count(), Draft.objects.count()) == (1, 1)
    revision.refresh_from_db()
    assert [r["source"] for r in revision.reports] == [first.public_id, second.public_id]
    links = TicketCopyRevision.objects.order_by("pk")
    assert [(link.ticket, link.revision, link.opened) for link in links] == [
        (first, revision, True), (second, revision, False)]

    # The worker writes the draft with both points in its prompt, redacted, and sends it to review.
    claimed = content_services.drafts_claim(limit=5)
    content_services.drafts_generate(claimed)
    draft.refresh_from_db()
    assert draft.status == DraftStatus.IN_REVIEW
    (prompt,) = ScriptedGenerator.prompts
    assert "<customer_reports>" in prompt.user and "fits like a 40" in prompt.user and "it is a 40" in prompt.user
    assert "not product facts" in prompt.system
    assert_no_personal_data(prompt.system + prompt.user + draft.ai_text)


def test_the_same_ticket_reported_twice_adds_its_point_once(shoe):
    ticket = reported(MISLED)
    ticket_copy_revision(ticket)
    services.ticket_override_prediction(ticket=ticket, field="intent", value="not_as_described",
                                        actor=_agent())
    assert len(CopyRevision.objects.get().reports) == 1
    assert TicketCopyRevision.objects.count() == 1


def _agent():
    from tests.support.factories import make_agent

    return make_agent()


def test_other_intents_or_no_product_open_nothing(shoe):
    reported(MISLED, intent="track_order")
    reported("The shoes I bought said size 42 but they fit like a 40.")  # no product named
    assert (CopyRevision.objects.count(), Draft.objects.count(), TicketCopyRevision.objects.count()) == (0, 0, 0)


def test_a_staff_override_to_a_misleading_copy_intent_opens_the_request(shoe, agent):
    ticket, _ = make_ticket(subject="TRS-42", body="Not as described: no laces in the box.")
    services.ticket_override_prediction(ticket=ticket, field="intent", value="not_as_described", actor=agent)
    assert TicketCopyRevision.objects.get().ticket == ticket
    assert Draft.objects.get().revision == CopyRevision.objects.get()


def test_triage_opens_the_request_for_a_staff_set_intent(shoe, recording_models):
    ticket, _ = make_ticket(subject="Wrong size", body=MISLED)
    Ticket.objects.filter(pk=ticket.pk).update(intent="not_as_described", intent_set_by=SetBy.STAFF)
    services.ticket_triage(ticket.pk)
    assert CopyRevision.objects.get().reports[0]["source"] == ticket.public_id


def test_a_decided_revision_closes_and_the_next_report_opens_a_new_one(shoe):
    reported(MISLED)
    Draft.objects.update(status=DraftStatus.REJECTED)
    reported("TRS-42 is not compatible with the insoles the page names.", subject="Insoles")
    revisions = list(CopyRevision.objects.order_by("pk"))
    assert [r.status for r in revisions] == [CopyRevision.Status.CLOSED, CopyRevision.Status.OPEN]
    assert Draft.objects.filter(status=DraftStatus.QUEUED).get().revision == revisions[1]


def test_a_queued_description_draft_is_adopted_not_duplicated(shoe, editor_user):
    content_services.drafts_request(products=[shoe], kind="description", actor=editor_user)
    reported(MISLED)
    assert Draft.objects.get().revision == CopyRevision.objects.get()


def test_a_regenerated_revision_draft_stays_in_the_request(shoe, editor_user):
    reported(MISLED)
    draft = Draft.objects.get()
    Draft.objects.filter(pk=draft.pk).update(status=DraftStatus.IN_REVIEW, ai_text="Runs true to size.")
    content_services.draft_request_changes(draft=draft, actor=editor_user, comment="Say it runs small.")
    new = Draft.objects.get(status=DraftStatus.QUEUED)
    assert new.revision_id == draft.revision_id
    reported("TRS-42 again: too small.", subject="Size")  # the request is still open: it joins
    assert CopyRevision.objects.count() == 1


@pytest.mark.parametrize("text, expected", [
    ("about trs-42 please", ["TRS-42"]),  # SKU as a token, lower-cased
    ("see https://shop.example/p/trail-runner-gtx", ["TRS-42"]),  # a pasted product link (slug)
    ("my trail runner gtx!", ["TRS-42"]),  # the full title, case and punctuation ignored
    ("a trail runner", []),  # part of a title is not a mention
    ("XTRS-42", []),  # part of a token is not a SKU
])
def test_product_mentions_are_deterministic(shoe, text, expected):
    assert [p.sku for p in products_mentioned(text)] == expected


@pytest.fixture
def editor_user(db):
    from tests.content.factories import make_user

    return make_user("Editors")


def test_the_ticket_and_the_revision_request_link_to_each_other_in_the_admin(shoe, client, django_user_model):
    ticket = reported(MISLED)
    revision = CopyRevision.objects.get()
    draft = Draft.objects.get()
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin_user)

    ticket_page = client.get(f"/admin/ecomcms_support/ticket/{ticket.pk}/change/").content.decode()
    assert f'href="/admin/ecomcms_content/copyrevision/{revision.pk}/change/"' in ticket_page

    revision_page = client.get(f"/admin/ecomcms_content/copyrevision/{revision.pk}/change/").content.decode()
    assert f'href="/admin/ecomcms_support/ticket/{ticket.pk}/change/"' in revision_page
    assert f'href="/admin/ecomcms_content/draft/{draft.pk}/change/"' in revision_page
    assert_no_personal_data(revision_page)

    draft_page = client.get(f"/admin/ecomcms_content/draft/{draft.pk}/change/").content.decode()
    assert "Customers misled by the current copy" in draft_page and "fits like a 40" in draft_page
