"""Review-summary drafts: made from the product's reviews in the worker, stored with them, checked against them."""

import pytest
from django.urls import reverse

from content import services, summaries
from content.models import Draft, DraftStatus, Review
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db

REVIEWS = [
    (5, "Quiet on the train", "The noise cancelling is excellent on my commute. The battery lasts a whole week.", 7),
    (4, "Comfortable", "The ear cushions are soft and comfortable for long flights.", 3),
    (2, "Tight fit", "The headband is too tight for large heads and hurts after an hour.", 1),
]


@pytest.fixture
def product():
    product = make_product(title="Sonora ANC Headphones", attributes={"colour": "black"})
    for n, (rating, title, body, helpful) in enumerate(REVIEWS):
        Review.objects.create(product=product, external_id=f"r{n}", rating=rating, title=title, body=body,
                              helpful_count=helpful)
    return product


@pytest.fixture
def summary(product, writer, fake_models):
    services.drafts_request(products=[product], kind="review_summary", actor=writer)
    services.drafts_process_queue()
    return Draft.objects.get(product=product, kind="review_summary")


def test_a_summary_is_written_from_the_reviews_in_the_third_person(summary):
    assert summary.status == DraftStatus.IN_REVIEW
    assert summary.ai_text.startswith("Based on 3 reviews (2 rated 4-5 stars, 1 rated 1-2): ")
    assert "One reviewer says the battery lasts a whole week." in summary.ai_text
    assert "headband is too tight" in summary.ai_text  # the low rating is not summarized away
    assert " my " not in f" {summary.ai_text.lower()} " and "customers say" not in summary.ai_text.lower()
    assert summary.model_id == "extractive+fake-embedder" and summary.tokens_out == 0
    assert (summary.strategy, summary.strategy_details["reviews"], summary.strategy_details["of"]) == (
        "extractive",
        3,
        3,
    )


def test_the_summary_is_stored_with_exactly_the_reviews_it_covers(summary, product):
    assert set(summary.summarized_reviews.values_list("external_id", flat=True)) == {"r0", "r1", "r2"}
    Review.objects.create(product=product, external_id="late", rating=1, body="Arrived broken and nobody answered.")

    assert summary.summarized_reviews.count() == 3  # a later review does not change what was summarized


def test_each_claim_of_the_generated_summary_is_supported(summary):
    support = next(c for c in summary.checks if c["name"] == summaries.SUPPORT_CHECK)

    assert support["passed"] is True and support["message"].startswith("Each of the 3 claims matches a review")


def test_an_edit_with_an_invented_claim_is_flagged_once_the_worker_compared_it(summary, writer, fake_models):
    invented = summary.ai_text + " Best headphones ever, I'm glad you're enjoying your new device."

    edited = services.draft_edit(draft=summary, actor=writer, text=invented)
    pending = next(c for c in edited.checks if c["name"] == summaries.SUPPORT_CHECK)
    compared = services.draft_compare(summary.pk)
    support = next(c for c in compared.checks if c["name"] == summaries.SUPPORT_CHECK)

    assert pending["passed"] is True and pending.get("pending") is True  # the web request ran no model
    assert support["passed"] is False and "Best headphones ever" in support["message"]
    assert invented[slice(*support["spans"][0])].startswith("Best headphones ever")
    assert compared.checks_passed is False
    assert [c["name"] for c in compared.checks].count(summaries.SUPPORT_CHECK) == 1


def test_a_summary_written_by_hand_is_checked_against_a_sample_of_the_reviews(product, writer, fake_models):
    draft = services.draft_write(
        product=product, kind="review_summary", text="Customers say it glows in the dark.", actor=writer
    )

    compared = services.draft_compare(draft.pk)

    assert compared.summarized_reviews.count() == 3
    assert next(c for c in compared.checks if c["name"] == summaries.SUPPORT_CHECK)["passed"] is False


def test_a_product_without_reviews_gets_a_plain_note(writer, fake_models):
    product = make_product()
    services.drafts_request(products=[product], kind="review_summary", actor=writer)
    services.drafts_process_queue()

    draft = Draft.objects.get(product=product)
    assert draft.ai_text == "No reviews to summarize yet." and draft.summarized_reviews.count() == 0


def test_a_summary_claimed_again_by_someone_else_is_not_overwritten(product, writer, fake_models):
    services.drafts_request(products=[product], kind="review_summary", actor=writer)
    [claimed] = services.drafts_claim(limit=1)
    Draft.objects.filter(pk=claimed.pk).update(status=DraftStatus.QUEUED, claimed_at=None)  # the sweeper took it back

    counts = services.drafts_generate([claimed])

    assert counts["in_review"] == 0
    draft = Draft.objects.get(pk=claimed.pk)
    assert (draft.status, draft.ai_text, draft.summarized_reviews.count()) == (DraftStatus.QUEUED, "", 0)


def test_the_review_page_shows_the_reviews_the_summary_covers(client, editor, summary, product):
    Review.objects.create(product=product, external_id="late", rating=1, body="Arrived broken and nobody answered.")
    client.force_login(editor)

    page = client.get(reverse("admin:ecomcms_content_draft_change", args=[summary.pk])).content.decode()

    assert "The 3 reviews this summary covers" in page
    assert "Quiet on the train" in page and "7 found it helpful" in page and "hurts after an hour" in page
    assert "Arrived broken" not in page  # not one of the summarized reviews


def test_reviews_import_their_helpful_count(tmp_path):
    from content.importers import review_bulk_import

    make_product(sku="RV9")
    path = tmp_path / "reviews.csv"
    path.write_text("sku,external_id,rating,body,helpful_count\nRV9,a,5,Great.,12\nRV9,b,4,Fine.,\nRV9,c,3,Meh.,-1\n")

    result = review_bulk_import(path=path)

    assert result.errors == [(4, 'bad helpful_count "-1" (expected a whole number of at least 0)')]
    assert dict(Review.objects.values_list("external_id", "helpful_count")) == {"a": 12, "b": 0}


def test_the_numbers_of_the_header_and_of_the_reviews_are_not_invented_facts(summary, product, writer, fake_models):
    Review.objects.filter(product=product, external_id="r0").update(body="The battery lasts 30 hours on my commute.")
    services.drafts_request(products=[product], kind="review_summary", actor=writer)
    services.drafts_process_queue()
    fresh = Draft.objects.filter(product=product).latest("pk")
    edited = services.draft_edit(
        draft=summary, actor=writer, text=summary.ai_text + " One reviewer says it lasts 90 hours."
    )

    assert "30 hours" in fresh.ai_text
    assert {c["name"]: c["passed"] for c in fresh.checks}["facts"] is True
    assert {c["name"]: c["passed"] for c in fresh.checks}["voice"] is True  # "rated 4-5 stars" is the header
    facts = next(c for c in edited.checks if c["name"] == "facts")
    assert facts["passed"] is False and [edited.editor_text[s:e] for s, e in facts["spans"]] == ["90 hours"]
