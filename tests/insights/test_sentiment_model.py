"""The trained sentiment model reads imported reviews and tickets (real embedder); the cue words without it."""

import numpy as np
import pytest
from django.core.management import call_command

from content import importers, review_sentiment
from content.models import Review
from ecomcms import inference, sentiment as reader
from insights import sentiment_training as training
from support.services.triage import triage_predict
from tests.content.factories import make_product

pytestmark = [pytest.mark.django_db, pytest.mark.models]

# Reviews whose words the cue lists do not hold, so only a model can read them.
NEGATIVE = ["The seams came apart after one wash.", "It arrived torn and the zipper is broken.",
            "Fabric is see-through and scratchy, sent it back.", "Runs two sizes small, could not close it.",
            "The colour faded in a week and it shrank.", "Cheap material, threads everywhere, returned it."]
NEUTRAL = ["It is okay, nothing special.", "Fits as expected, the colour is a bit different from the photo.",
           "Average quality for the price.", "Decent but the sleeves are long.",
           "Not bad, not great either.", "It is fine for lounging at home."]
POSITIVE = ["Fits beautifully and the fabric feels soft.", "My favourite top, I bought it in three colours.",
            "Flattering cut and comfortable all day.", "So soft and the colour is gorgeous.",
            "Gets compliments every time I wear it.", "Well made, true to size, very comfortable."]


@pytest.fixture
def trained(settings, tmp_path):
    """A small model on the real embedder, saved as version 1 in a fresh data folder."""
    settings.ECOMCMS_DATA_DIR = tmp_path
    inference.reset()
    embedder = inference.get_embedder()
    texts = NEGATIVE + NEUTRAL + POSITIVE
    labels = np.repeat([0, 1, 2], [len(NEGATIVE), len(NEUTRAL), len(POSITIVE)])
    classifier = training.fit_recipe("logreg", embedder.embed(texts).vectors, labels,
                                     np.array([str(i) for i in range(len(texts))]), seed=0,
                                     embedding_model=embedder.model_id)
    classifier.coef *= 20  # a dozen examples give a timid fit; sharpen it so the test reads clear labels
    assert reader.save_version(classifier) == 1
    return embedder


def _import(tmp_path, rows):
    path = tmp_path / "reviews.csv"
    path.write_text("sku,external_id,rating,title,body\n" + "".join(
        f"{sku},{external_id},{rating},,\"{body}\"\n" for sku, external_id, rating, body in rows))
    return importers.review_bulk_import(path=path)


def test_imported_reviews_are_read_by_the_model(trained, tmp_path):
    product = make_product(sku="DRESS-1")
    _import(tmp_path, [("DRESS-1", "a", 5, "The hem unravelled and a button fell off on day one."),
                       ("DRESS-1", "b", 1, "Lovely drape, soft, and it fits me perfectly.")])
    counts = review_sentiment.reviews_score_sentiment()
    assert counts == {"scored": 2, "model": 2, "cue words": 0}
    read = dict(Review.objects.filter(product=product).values_list("external_id", "sentiment"))
    # The stars were swapped on purpose: the text decides, never the rating.
    assert read == {"a": "negative", "b": "positive"}
    assert set(Review.objects.values_list("sentiment_source", flat=True)) == {"model v1"}


def test_the_import_command_reads_the_new_reviews(trained, tmp_path, capsys):
    make_product(sku="DRESS-2")
    path = tmp_path / "more.csv"
    path.write_text('sku,external_id,rating,body\nDRESS-2,x,3,"The stitching split along the side seam."\n')
    call_command("import_reviews", str(path))
    review = Review.objects.get(external_id="x")
    assert (review.sentiment, review.sentiment_source) == ("negative", "model v1")
    assert "1 by the sentiment model" in capsys.readouterr().out


def test_ticket_triage_reads_sentiment_with_the_model(trained):
    results = triage_predict(["The dress I got has a torn seam and the zip broke when I tried it on."],
                             has_order_reference=[False])
    assert results[0].sentiment.value == "negative"
    assert results[0].sentiment.details["source"] == "model v1"


def test_without_a_model_the_cue_words_read_reviews_and_tickets(settings, tmp_path):
    settings.ECOMCMS_DATA_DIR = tmp_path  # nothing trained here
    inference.reset()
    product = make_product()
    Review.objects.create(product=product, external_id="c", rating=5, body="Terrible, I hate it.")
    assert review_sentiment.reviews_score_sentiment() == {"scored": 1, "model": 0, "cue words": 1}
    assert Review.objects.get(external_id="c").sentiment_source == "cue words"
    results = triage_predict(["I am furious, this is unacceptable."], has_order_reference=[False])
    assert results[0].sentiment.value == "negative" and "source" not in results[0].sentiment.details


def test_a_model_trained_with_another_embedder_is_not_used(trained):
    classifier = reader.active_classifier(trained.model_id)
    classifier.embedding_model = "another-model"
    reader.save_version(classifier)
    assert reader.active_version() == 2 and reader.active_classifier(trained.model_id) is None
