"""Reply strategies: templates adapted to the ticket, the serving choice from the measured table, and the
``support.reply`` fine-tuning purpose (its split, and its gate with a really trained adapter)."""

from __future__ import annotations

import csv

import pytest

from ecomcms.assign import stable_fraction
from ecomcms.models import Adapter, AdapterStatus
from support import checks, finetuning, replies, reply_evaluation, services
from support.models import CannedResponse, Intent, ReplySuggestion, TicketStatus
from tests.ecomcms.test_finetune import tiny_model  # noqa: F401  (the 2-layer Llama built in the test)
from tests.support.factories import make_knowledge, make_taxonomy, make_ticket
from tests.support.fakes import ScriptedGenerator

SHOP = replies.Details(shop_name="Example Shop", email="help@shop.example", customer="[NAME_1]", order="[ORDER_1]")


# --- templates ------------------------------------------------------------------------------------------------

def test_the_nearest_resolved_reply_is_adapted_to_this_ticket():
    other = ("Hello [NAME_1],\n\nYour order [ORDER_2] left our warehouse today. We sent it to [ADDRESS_1] as you "
             "asked. Open {{Order Details}} on {{Website Name}} to follow it. Call us at "
             "{{Customer Support Phone Number}} if it does not arrive. Invoice 84736251 is attached.")

    adapted = replies.adapt(other, replies.Details(shop_name="Example Shop", customer="[NAME_3]", order="[ORDER_1]"))

    assert adapted == ("Hello [NAME_3],\n\nYour order [ORDER_1] left our warehouse today. Open Order Details on "
                       "Example Shop to follow it.")
    assert [g for g in checks.unfilled_placeholders(adapted) if g not in ("[NAME_3]", "[ORDER_1]")] == []


def test_a_canned_response_is_filled_from_the_ticket_and_keeps_no_gap():
    canned = ("I'm sorry about order {{Order Number}}, {{Client First Name}}.\n\n1. Open {{Account Settings}}.\n"
              "2. Enter {{Refund Amount}}.\n3. Press {{Submit}}.\nWrite to {{Customer Support Email}} any time.")

    filled = replies.adapt(canned, SHOP)
    without_customer = replies.adapt(canned, replies.Details(shop_name="Example Shop"))

    assert filled == ("I'm sorry about order [ORDER_1], [NAME_1].\n\n1. Open Account Settings.\n2. Press Submit.\n"
                      "Write to help@shop.example any time.")  # the list is renumbered after the dropped item
    assert without_customer == "1. Open Account Settings.\n2. Press Submit."
    assert checks.unfilled_placeholders(without_customer) == []


def test_a_template_reply_cites_its_article_by_design_and_is_not_flagged_for_it():
    from support.prompts import Source

    article = Source(1, "article", 7, "Returns", "You can return any item within 30 days of delivery.", 0.9,
                     "https://shop.example/help/returns")
    body = replies.framed("You can start a return from your account.", customer="[NAME_1]", shop_name="Example Shop")

    done = replies.finish(body, sources=[article], quote=["You can return any item within 30 days of delivery."],
                          ticket_text="Can I return shoes?", mapping={"[NAME_1]": "Anna"}, customer="[NAME_1]",
                          cite_by_design=True)

    assert done.flags == []  # "30" comes from the article it quotes; nothing to confirm
    assert [s.id for s in done.cited] == [7]
    assert done.reply.startswith("Hello [NAME_1],\n\nYou can start a return from your account.\n\nFrom our help "
                                 'article "Returns" [1]: You can return any item within 30 days of delivery.')
    assert done.text.endswith("Related help article:\n[1] Returns: https://shop.example/help/returns")


# --- the serving choice ---------------------------------------------------------------------------------------

def test_the_serving_choice_follows_the_measured_table():
    table = {"model": {"chrf": 30.0, "flagged_share": 0.9}, "nearest": {"chrf": 50.0, "flagged_share": 0.10},
             "canned": {"chrf": 48.0, "flagged_share": 0.08}, "combined": {"chrf": 55.0, "flagged_share": 0.5}}
    per_intent = {
        "track_order": {**table, "canned": {"chrf": 56.0, "flagged_share": 0.0}},  # clearly better there
        "get_refund": {**table, "canned": {"chrf": 51.0, "flagged_share": 0.0}},  # within the margin: default
    }

    assert replies.best_strategy(table) == "nearest"  # combined writes better but is flagged far more often
    assert replies.choose(table, per_intent) == {"default": "nearest", "per_intent": {"track_order": "canned"}}
    assert replies.best_strategy({**table, "model": {"chrf": 60.0, "flagged_share": 0.1}}) == "model"
    few = {intent: {name: {**row, "n": 1} for name, row in rows.items()} for intent, rows in per_intent.items()}
    assert replies.choose(table, few)["per_intent"] == {}  # one message per intent says nothing about the intent


@pytest.mark.django_db
def test_applying_the_measured_choice_sets_each_intents_strategy(settings):
    settings.SUPPORT_REPLY_STRATEGY = "nearest"
    make_taxonomy()

    stored = services.reply_strategies_apply(choice={"default": "nearest", "per_intent": {"get_refund": "canned"}},
                                             evaluation={}, actor=None)

    assert stored == {"get_refund": "canned", "payment_issue": "nearest", "track_order": "nearest"}
    assert dict(Intent.objects.values_list("name", "reply_strategy")) == {
        "get_refund": "canned", "payment_issue": "", "track_order": ""}  # empty follows the setting
    assert services.strategy_for_intent("get_refund") == "canned"
    assert services.strategy_for_intent("track_order") == "nearest"
    with pytest.raises(ValueError):
        services.reply_strategies_apply(choice={"default": "magic"}, evaluation={}, actor=None)


# --- the strategies in the product ----------------------------------------------------------------------------

def _resolved(agent, subject, body, reply):
    ticket, _ = make_ticket(subject=subject, body=body, email="old@example.com", name="Otto Lang")
    services.ticket_triage(ticket.pk)
    ReplySuggestion.objects.filter(ticket=ticket).delete()
    services.ticket_reply(ticket=ticket, actor=agent, body=reply, status_after=TicketStatus.SOLVED)
    return ticket


@pytest.mark.django_db
def test_an_intent_served_by_nearest_gets_the_nearest_resolved_reply_adapted_without_the_model(
        recording_models, agent, settings):
    settings.SUPPORT_SHOP_NAME = "Example Shop"
    make_taxonomy()
    make_knowledge()
    Intent.objects.filter(name="track_order").update(reply_strategy="nearest")
    near = _resolved(agent, "Where is my parcel?", "Where is my parcel? My package has not arrived, tracking says "
                     "nothing.", "Hello Otto Lang, your parcel left our warehouse and tracking updates within a day. "
                     "We also called you on +49 151 23456789.")
    _resolved(agent, "Parcel delivery", "Is delivery possible on Saturday for the parcel?",
              "Hello Otto Lang, we deliver on Saturdays too.")
    ticket, _ = make_ticket(subject="Where is my parcel?", body="Where is my parcel? My package has not arrived.")

    services.ticket_triage(ticket.pk)
    services.suggestions_process()

    suggestion = ticket.suggestions.get()
    assert suggestion.status == ReplySuggestion.Status.READY and suggestion.strategy == "nearest"
    assert suggestion.options == {"template": {"ticket": near.public_id}} and suggestion.model_id == ""
    assert ScriptedGenerator.prompts == []  # no model call
    assert suggestion.text.startswith("Hello Anna Becker, your parcel left our warehouse and tracking updates within "
                                      "a day.\n\n")  # this customer's name; the other customer's phone call dropped
    assert "Otto" not in suggestion.text and "+49" not in suggestion.text
    assert services.reply_send_blockers(ticket, suggestion.text) == []


@pytest.mark.django_db
def test_without_a_resolved_ticket_nearest_falls_back_to_the_intents_canned_response_then_the_model(
        recording_models, settings):
    make_taxonomy()
    make_knowledge()
    settings.SUPPORT_REPLY_STRATEGY = "nearest"
    CannedResponse.objects.create(title="Parcel on its way", intent="track_order",
                                  body="Your order {{Order Number}} is on its way. Call {{Support Phone}}.")
    first, _ = make_ticket(subject="Where is my parcel?", body="Where is my parcel? My package has not arrived.",
                           order_reference="A-1")
    second, _ = make_ticket(subject="Refund please", body="I want my money back, please refund my order.",
                            email="b@example.com", name="Bea Roth")
    for ticket in (first, second):
        services.ticket_triage(ticket.pk)
    services.suggestions_process(batch_size=4)

    canned, model = first.suggestions.get(), second.suggestions.get()
    assert (canned.strategy, model.strategy) == ("canned", "model")
    assert "Your order A-1 is on its way." in canned.text and "Call" not in canned.text
    assert len(ScriptedGenerator.prompts) == 1  # only the refund ticket went to the model


@pytest.mark.django_db
def test_drafting_uses_the_active_reply_adapter_and_records_it(recording_models, tmp_path):
    make_taxonomy()
    make_knowledge()
    Adapter.objects.create(purpose="support.reply", version=3, status=AdapterStatus.READY, is_active=True,
                           path=str(tmp_path / "support.reply-v3"))
    ticket, _ = make_ticket()

    services.ticket_triage(ticket.pk)
    services.suggestions_process()

    suggestion = ticket.suggestions.get()
    assert suggestion.strategy == "model" and suggestion.options["adapter"] == str(tmp_path / "support.reply-v3")


@pytest.mark.django_db
def test_the_model_writes_replies_with_grounded_decoding_and_records_it(recording_models):
    make_taxonomy()
    make_knowledge()
    ticket, _ = make_ticket(order_reference="A-1")

    services.ticket_triage(ticket.pk)
    services.suggestions_process()

    suggestion = ticket.suggestions.get()
    grounding = ScriptedGenerator.groundings[0]
    assert suggestion.strategy == "model" and suggestion.options["grounded"] is False  # the fake applies nothing
    assert grounding.brackets == frozenset()  # no "[...]", "{{...}}" or "<...>" at all
    assert grounding.links >= {"https://shop.example/help/returns", "https://shop.example/help/shipping"}
    assert "chatbot" in grounding.banned_terms and grounding.numbers is None


@pytest.mark.django_db
def test_with_grounding_off_the_model_is_not_constrained(recording_models, settings):
    settings.SUPPORT_REPLY_GROUNDED = False
    make_taxonomy()
    make_knowledge()
    ticket, _ = make_ticket()

    services.ticket_triage(ticket.pk)
    services.suggestions_process()

    assert ticket.suggestions.get().strategy == "model" and ScriptedGenerator.groundings == [None]


def test_the_harness_grounds_only_the_grounded_strategies_and_serves_what_it_measured(recording_models,
                                                                                      bitext_file):
    pairs = reply_evaluation.pairs_read(bitext_file)
    train, held = reply_evaluation.split(pairs, seed=0, share=0.2)
    settings = reply_evaluation.Settings(strategies=("model", "model+grounded", "nearest"), details=SHOP)

    report = reply_evaluation.replies_evaluate(held[:4], train, settings)

    assert list(report["strategies"]) == ["model", "model+grounded", "nearest"]
    assert len(ScriptedGenerator.prompts) == 8
    grounded = [g for g in ScriptedGenerator.groundings if g is not None]
    assert len(grounded) == 4 and all(g.brackets == frozenset() and g.links is not None for g in grounded)
    assert report["choice"]["default"] in {"model+grounded", "nearest"}  # "model" is served grounded: not a choice


def test_a_long_run_reports_as_it_goes_and_shards_merge_into_the_whole_run(recording_models, bitext_file):
    pairs = reply_evaluation.pairs_read(bitext_file)
    train, held = reply_evaluation.split(pairs, seed=0, share=0.5)
    held = reply_evaluation.held_out_sample(held, per_intent=6)
    settings = reply_evaluation.Settings(strategies=("model", "nearest"), details=SHOP, batch_size=4)
    seen = []

    whole = reply_evaluation.replies_evaluate(held, train, settings, keep_items=True,
                                              on_progress=lambda r: seen.append(r["settings"]["held_out"]))
    shards = [reply_evaluation.replies_evaluate(held[k::2], train, settings, keep_items=True) for k in (0, 1)]
    merged = reply_evaluation.reports_merge(shards)

    assert {p.intent for p in held[:2]} == {"cancel_order", "track_order"}  # round by round over the intents
    assert seen == [min(n, len(held)) for n in range(reply_evaluation.WINDOW, len(held) + reply_evaluation.WINDOW,
                                                     reply_evaluation.WINDOW)]
    assert merged["settings"]["held_out"] == len(held)
    assert merged["strategies"]["model"]["chrf"]["value"] == whole["strategies"]["model"]["chrf"]["value"]
    assert merged["choice"] == whole["choice"]


def test_the_command_runs_shards_and_merges_them(recording_models, bitext_file, tmp_path, capsys):
    from django.core.management import call_command

    outs = [str(tmp_path / f"shard{k}.json") for k in (0, 1)]
    for k, out in enumerate(outs):
        call_command("evaluate_replies", "--dataset", str(bitext_file), "--strategies", "model,model+grounded,nearest",
                     "--per-intent", "3", "--shard", f"{k}/2", "--items", "--json", "--out", out)
    capsys.readouterr()
    call_command("evaluate_replies", "--merge", *outs)

    printed = capsys.readouterr().out
    assert printed.startswith("6 held-out Bitext messages")
    assert "| model+grounded |" in printed and "best per intent" in printed and "serve: " in printed


@pytest.mark.django_db
def test_a_grounded_choice_is_stored_as_its_strategy(settings):
    settings.SUPPORT_REPLY_STRATEGY = "nearest"
    make_taxonomy()

    stored = services.reply_strategies_apply(
        choice={"default": "nearest", "per_intent": {"get_refund": "combined+grounded"}}, evaluation={}, actor=None)

    assert stored["get_refund"] == "combined" and services.strategy_for_intent("get_refund") == "combined"


# --- fine-tuning: the split and the gate ------------------------------------------------------------------------

REFERENCE = ("I understand you want to {verb} order {{{{Order Number}}}}. Open {{{{Order Details}}}} on "
             "{{{{Website Name}}}} and press {{{{{button}}}}}. Call {{{{Customer Support Phone Number}}}} for help.")


@pytest.fixture
def bitext_file(tmp_path):
    path = tmp_path / "bitext.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["instruction", "intent", "entity_type", "entity_value", "response"])
        writer.writeheader()
        kinds = [("cancel", "cancel_order", "Cancel Order"), ("track", "track_order", "Track")]
        for i in range(40):
            verb, intent, button = kinds[i % 2]
            writer.writerow({"instruction": f"please {verb} my order {1000 + i}", "intent": intent,
                             "entity_type": "order_id", "entity_value": str(1000 + i),
                             "response": REFERENCE.format(verb=verb, button=button)})
    return path


@pytest.mark.django_db
def test_the_reply_dataset_never_trains_on_held_out_rows_and_adds_what_staff_sent(recording_models, bitext_file,
                                                                                 agent):
    make_taxonomy()
    make_knowledge()
    ticket, _ = make_ticket(subject="Where is my parcel?", body="Where is my parcel?")
    services.ticket_triage(ticket.pk)
    services.suggestions_process()
    services.suggestion_edit_and_send(suggestion=ticket.suggestions.get(), actor=agent, confirm_flags="figure",
                                      text="Hello Anna Becker, your parcel arrives tomorrow.")
    # Tickets are split by a hash of their id, which differs between databases and runs: take a seed that keeps
    # this one on the training side.
    seed = next(s for s in range(1, 50) if stable_fraction(s, f"ticket:{ticket.pk}") >= 0.25)
    parameters = {"seed": seed, "holdout": 0.25, "pairs": {"path": str(bitext_file), "format": "bitext"}}

    data = finetuning.reply_dataset(parameters)
    again = finetuning.reply_dataset(parameters)

    held_ids = {p.id for p in data.held_out}
    assert held_ids and all(reply_evaluation.is_held_out(i, seed=seed, share=0.25) for i in held_ids)
    trained = [e.prompt.user for e in data.train]
    assert len(trained) == 40 - len(held_ids) + 1 and trained == [e.prompt.user for e in again.train]
    for pair in data.held_out:
        assert not any(f"please {pair.text.split()[1]} my order [ORDER_1]" in u and pair.order in u for u in trained)
    assert {p.id for p in data.held_out.resolved}.isdisjoint(held_ids)
    staff = [e for e in data.train if "parcel" in e.prompt.user]
    assert [e.target for e in staff] == ["Hello [NAME_1], your parcel arrives tomorrow."]  # redacted again
    bitext = [e for e in data.train if e not in staff]
    assert all("{{" not in e.target and "Call" not in e.target and "[ORDER_1]" in e.target for e in bitext)
    assert data.counts["staff_replies"] == 1 and data.counts["imported_pairs"] == 40


def test_the_reply_gate_needs_no_lower_chrf_and_no_more_flags():
    def metrics(chrf, flagged):
        return {"strategies": {"model": {"chrf": {"value": chrf}, "flagged_share": {"value": flagged}}}}

    assert finetuning.reply_gate(metrics(30, 0.5), metrics(30, 0.5))[0]
    assert not finetuning.reply_gate(metrics(30, 0.5), metrics(29.9, 0.2))[0]
    assert not finetuning.reply_gate(metrics(30, 0.5), metrics(40, 0.6))[0]
    assert not finetuning.reply_gate(metrics(30, 0.5), {})[0]


@pytest.mark.django_db
def test_a_worse_reply_adapter_is_really_trained_evaluated_and_cannot_be_activated(
        tiny_model,  # noqa: F811
        bitext_file, settings, tmp_path):
    """Real LoRA training and the real harness with a tiny model: an adapter taught to answer nothing
    writes empty replies (chrF 0), so the gate refuses it and activation is refused."""
    from ecomcms import inference
    from ecomcms.finetune import registry, services as finetune

    settings.ECOMCMS_TEXT_BACKEND = "transformers"
    settings.ECOMCMS_TEXT_MODEL = str(tiny_model)
    settings.ECOMCMS_MODEL_CACHE = str(tmp_path / "cache")
    settings.ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.fake.FakeEmbedder"
    settings.ECOMCMS_DATA_DIR = tmp_path
    settings.SUPPORT_REPLY_MAX_NEW_TOKENS = 12

    def silent(parameters):  # the purpose's own data, with every target emptied
        data = finetuning.reply_dataset(parameters)
        data.train = [type(e)(prompt=e.prompt, target="") for e in data.train]
        return data

    registry.register(registry.Purpose(name="test.silent-reply", label="Silent", dataset=silent,
                                       evaluate=finetuning.reply_evaluate, gate=finetuning.reply_gate))
    inference.reset()
    try:
        adapter = finetune.adapter_train_request(purpose="test.silent-reply", parameters={
            "pairs": {"path": str(bitext_file), "format": "bitext"}, "held_out_limit": 4, "epochs": 4,
            "batch_size": 4, "learning_rate": 2e-2, "r": 4, "alpha": 8, "max_length": 128})
        adapter = finetune.adapter_train_run(adapter.pk)
    finally:
        inference.reset()
        registry._purposes.pop("test.silent-reply")

    assert adapter.status == AdapterStatus.READY, adapter.error
    assert adapter.progress["losses"][-1] < adapter.progress["losses"][0]
    base, tuned = adapter.metrics["base"]["strategies"], adapter.metrics["adapter"]["strategies"]
    assert set(base) == set(replies.STRATEGIES) and base["nearest"] == tuned["nearest"]  # templates: no model
    assert tuned["model"]["chrf"]["value"] < base["model"]["chrf"]["value"]
    assert not adapter.gate_passed
    with pytest.raises(finetune.FinetuneError, match="not better than the active model"):
        finetune.adapter_activate(adapter=adapter, actor=None)
    assert not Adapter.objects.filter(is_active=True).exists()


def test_the_served_default_is_what_measured_best():
    """docs/support.md's table (tests/support/data/reply_strategy_table.json, from evaluate_replies) picks the
    default of SUPPORT_REPLY_STRATEGY; a new measurement that picks another must change the default too."""
    import json
    from pathlib import Path

    from django.conf import settings

    table = json.loads((Path(__file__).parent / "data" / "reply_strategy_table.json").read_text())

    assert replies.choose(table["overall"], table["per_intent"]) == {"default": settings.SUPPORT_REPLY_STRATEGY,
                                                                     "per_intent": {}}
