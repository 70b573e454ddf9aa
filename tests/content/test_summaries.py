"""Review summaries: sampling, reported speech, the support check (pure functions, fake embedder)."""

from dataclasses import dataclass

import numpy as np

from content import summaries
from ecomcms.inference.fake import FakeEmbedder


@dataclass
class R:
    rating: int
    body: str
    title: str = ""
    helpful_count: int = 0
    pk: int = 0


def embed(texts):
    return FakeEmbedder().embed(texts).vectors


def test_the_sample_keeps_the_most_helpful_reviews_and_every_rating_band():
    reviews = [R(5, f"Great dress number {i}.", helpful_count=i, pk=i) for i in range(30)]
    reviews += [R(1, "The zipper broke on the first day.", helpful_count=0, pk=100)]
    reviews += [R(3, "The fit is fine but the colour is dull.", helpful_count=0, pk=101)]

    sample = summaries.reviews_sample(reviews, limit=6)

    assert len(sample) == 6
    assert {r.rating for r in sample} == {1, 3, 5}
    fives = [r.helpful_count for r in sample if r.rating == 5]
    assert fives == [29, 28, 27, 26]  # the most helpful of the large band, most helpful first


def test_the_sample_leaves_out_empty_reviews_and_keeps_small_sets_whole():
    reviews = [R(4, "Lovely and soft fabric.", pk=1), R(2, "", pk=2), R(5, "Fits true to size.", helpful_count=3, pk=3)]

    assert [r.pk for r in summaries.reviews_sample(reviews)] == [3, 1]


def test_first_person_becomes_reported_speech():
    assert (
        summaries.reported("I love it and my husband loves it too!") == "they love it and their husband loves it too."
    )
    assert summaries.reported("But I'm 5 ft and I was swimming in it.") == "they're 5 ft and they were swimming in it."
    assert summaries.reported("The fabric is soft.") == "the fabric is soft."
    assert summaries.reported("Otherwise, it's a beautiful skirt.") == "it's a beautiful skirt."


def test_candidates_are_whole_claims_about_the_product():
    assert summaries.candidate("The fabric is soft and drapes nicely.")
    assert not summaries.candidate("Very comfortable fit, lots of compliments.")  # no subject: broken after "say"
    assert not summaries.candidate("If you are petite, size down one size.")  # speaks to the reader
    assert not summaries.candidate("I am 5'4\" and 130 lbs and ordered a small.")  # the reviewer, not the product
    assert not summaries.candidate("I wanted to love this sweater, but")  # cut off
    assert not summaries.candidate("Is it worth the price?")


def test_a_summary_is_third_person_says_how_many_reviews_it_covers_and_quotes_no_customer():
    reviews = [
        R(5, "The fabric is soft and the colour is lovely. I wear it every week.", helpful_count=4, pk=1),
        R(5, "The fabric is soft and warm.", helpful_count=2, pk=2),
        R(4, "It runs small so I ordered a size up.", pk=3),
        R(1, "The seams came apart after one wash.", pk=4),
    ]

    text = summaries.summarize(reviews, embed, total=40)

    assert text.startswith("Based on 4 of 40 reviews (3 rated 4-5 stars, 1 rated 1-2): ")
    assert "reviewer" in text.lower()
    words = set(text.lower().replace(".", " ").replace(",", " ").split())
    assert not words & {"i", "i'm", "my", "me", "we", "our", "you", "your"}
    assert "the seams came apart after one wash." in text  # the minority view is kept
    assert len(text) <= 600


def test_the_summary_stays_within_the_length():
    reviews = [
        R(5, f"The fabric of this dress number {i} is soft and lovely to wear all day long.", pk=i) for i in range(12)
    ]

    assert len(summaries.summarize(reviews, embed, max_chars=200)) <= 200


def test_claims_leave_out_the_header_and_cores_leave_out_the_frame():
    text = ("Based on 3 reviews (3 rated 4-5 stars): Several reviewers say the fabric is soft. "
            "One reviewer says it runs small.")

    found = summaries.claims(text)

    assert [t for _, _, t in found] == ["Several reviewers say the fabric is soft.", "One reviewer says it runs small."]
    assert [text[s:e] for s, e, _ in found] == [t for _, _, t in found]
    assert summaries.claim_core(found[0][2]) == "the fabric is soft."
    assert summaries.claim_core("One critical reviewer says that it shrank.") == "it shrank."


def test_the_support_check_flags_a_claim_no_review_makes():
    sources = ["The fabric is soft.", "It runs small."]
    summary = ("Based on 2 reviews (2 rated 4-5 stars): Several reviewers say the fabric is soft. "
               "Best headphones ever, I'm glad you're enjoying your new device.")

    result = summaries.support_check(summary, sources, embed, threshold=0.6)

    assert result["name"] == "review_support" and result["passed"] is False
    assert "1 of 2 claims match no review" in result["message"] and "Best headphones ever" in result["message"]
    start, end = result["spans"][0]
    assert summary[start:end].startswith("Best headphones ever")


def test_the_support_check_passes_claims_taken_from_the_reviews():
    sources = ["The fabric is soft.", "It runs small."]
    summary = (
        "Based on 2 reviews (2 rated 4-5 stars): One reviewer says the fabric is soft. Another says it runs small."
    )

    result = summaries.support_check(summary, sources, embed, threshold=0.6)

    assert result["passed"] is True and result["spans"] == []


def test_a_summary_without_reviews_fails_the_support_check():
    result = summaries.support_check("Customers love it.", [], embed)

    assert result["passed"] is False and "no reviews" in result["message"]


def test_the_support_check_runs_the_embedder_once():
    calls = []

    def counting(texts):
        calls.append(len(texts))
        return embed(texts)

    summaries.support_check(
        "One reviewer says it is soft. Another says it is warm.", ["It is soft.", "It is warm."], counting
    )

    assert calls == [4]


def test_themes_need_real_vectors_only_through_the_embed_callable():
    # Any unit-length vectors work: two identical claims in two reviews form one theme said by two reviewers.
    reviews = [R(5, "The fabric is soft and warm.", pk=1), R(5, "The fabric is soft and warm.", pk=2)]

    text = summaries.summarize(reviews, lambda texts: np.ones((len(texts), 4), dtype=np.float32) / 2)

    assert "Two reviewers say the fabric is soft and warm." in text


def test_every_frame_the_summarizer_writes_is_stripped_before_comparing():
    for frame in (
        "Several reviewers say",
        "Several also say",
        "Two reviewers say",
        "Two others say",
        "One reviewer says",
        "Another says",
        "One critical reviewer says",
    ):
        assert summaries.claim_core(f"{frame} the zip broke.") == "the zip broke."
