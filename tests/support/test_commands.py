"""Management commands: evaluate_triage, import_tickets, train_intents (fake embeddings)."""

from __future__ import annotations

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ecomcms.models import Adapter
from support.models import Intent, IntentLabel, Ticket

VOCAB = {
    "track_order": "where parcel package tracking arrive shipped",
    "get_refund": "refund money back reimburse repay charged",
    "cancel_order": "cancel stop order anymore call off",
}


def write_csv(path, rows, header=("text", "label")):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def tiny_rows(per_label: int, offset: int = 0):
    rows = []
    for label, words in VOCAB.items():
        vocabulary = words.split()
        for n in range(per_label):
            picked = [vocabulary[(n + offset + k) % len(vocabulary)] for k in range(3)]
            rows.append((" ".join(picked + ["please", "hello"]), label))
    return rows


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_evaluate_triage_trains_on_the_csv_and_measures_on_the_test_file(tmp_path, fake_models):
    train = write_csv(tmp_path / "train.csv", [(t, y) for t, y in tiny_rows(8)], header=("body", "intent"))
    test = write_csv(tmp_path / "test.csv", [(t, y) for t, y in tiny_rows(3, offset=1)], header=("body", "intent"))

    result = json.loads(run("evaluate_triage", "--dataset", str(train), "--format", "csv", "--test", str(test),
                            "--text-column", "body", "--label-column", "intent", "--json"))

    assert result["n_train"] == 24 and result["n_test"] == 9 and result["n_labels"] == 3
    assert result["accuracy"] >= 0.8 and 0 <= result["macro_f1"] <= 1
    assert result["embedding_model"] == "fake-embedder" and result["wall_seconds"] >= 0


def test_evaluate_triage_prints_a_table_and_counts_flagged_out_of_scope_rows(tmp_path, fake_models):
    train = write_csv(tmp_path / "train.csv", tiny_rows(8) + [("weather sunny rain cloud", "oos")] * 3)
    test = write_csv(tmp_path / "test.csv", tiny_rows(2, offset=2) + [("sunny rain weather cloud", "oos")])

    table = run("evaluate_triage", "--dataset", str(train), "--format", "csv", "--test", str(test),
                "--oos-label", "oos")

    assert "accuracy" in table and "macro-F1" in table and "out of scope flagged" in table
    assert "train / test rows" in table and "24 / 7 (3 intents)" in table  # oos rows are not trained on


def test_evaluate_triage_runs_the_open_intent_protocol_over_seeds(tmp_path, fake_models):
    rows = tiny_rows(8) + [(f"weather sunny rain cloud {n}", "weather") for n in range(8)]
    train = write_csv(tmp_path / "train.csv", rows)
    test = write_csv(tmp_path / "test.csv", tiny_rows(2, offset=2) + [("sunny rain weather cloud", "weather")])

    report = json.loads(run("evaluate_triage", "--dataset", str(train), "--format", "csv", "--test", str(test),
                            "--open-intent", "0.75", "--seeds", "2", "--json"))
    table = run("evaluate_triage", "--dataset", str(train), "--format", "csv", "--test", str(test),
                "--open-intent", "0.75,1", "--seeds", "1")

    [result] = report["open_intent"]
    assert result["ratio"] == 0.75 and result["seeds"] == 2 and len(result["runs"]) == 2
    assert [run_["known"] for run_ in result["runs"]] == [3, 3] and result["open_traffic"] == 0.25
    assert 0 <= result["accuracy"] <= 1 and result["accuracy_std"] >= 0 and 0 <= result["macro_f1"] <= 1
    assert "75%" in table and "100%" in table and "macro-F1 (mean ± std)" in table
    with pytest.raises(CommandError, match="ratio"):
        run("evaluate_triage", "--dataset", str(train), "--format", "csv", "--open-intent", "1.5")


def test_evaluate_triage_refuses_a_missing_file_or_column(tmp_path, fake_models):
    bad = write_csv(tmp_path / "bad.csv", [("x", "y")], header=("message", "topic"))

    with pytest.raises(CommandError, match="no such file"):
        run("evaluate_triage", "--dataset", str(tmp_path / "nope.csv"), "--format", "csv")
    with pytest.raises(CommandError, match="cannot read the dataset"):
        run("evaluate_triage", "--dataset", str(bad), "--format", "csv")
    with pytest.raises(CommandError, match="folder"):
        run("evaluate_triage", "--dataset", str(bad), "--format", "banking77")


@pytest.mark.django_db
def test_import_tickets_as_labels_reports_bad_rows_and_trains(tmp_path, fake_models):
    path = write_csv(tmp_path / "labels.csv", tiny_rows(4) + [("", "track_order"), ("no label here", "")])

    out = run("import_tickets", str(path), "--format", "csv", "--as", "labels")
    trained = run("train_intents")

    assert "12 labels imported, 2 rows refused" in out
    assert "line 14: the text is empty" in out and "line 15: the label is empty" in out
    assert IntentLabel.objects.filter(source="import").count() == 12
    assert set(Intent.objects.values_list("name", flat=True)) == set(VOCAB)
    version = Adapter.objects.get(purpose="support.intent")
    assert version.status == "ready" and version.data["train"] + version.data["held_out"] == 12
    assert f"trained on {version.data['train']} labels (12 imported" not in trained  # the held-out slice is not
    assert f"trained on {version.data['train']} labels ({version.data['train']} imported, 0 staff" in trained
    assert version.is_active == version.gate_passed and ("now active" in trained) == version.gate_passed


@pytest.mark.django_db
def test_import_tickets_as_tickets_redacts_and_keeps_labels(tmp_path, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("support.tasks.triage_ticket.apply_async", lambda args, **options: queued.append(*args))
    path = write_csv(tmp_path / "tickets.csv", [
        ("Refund please, card 4111 1111 1111 1111", "get_refund", "a@example.com", "Refund"),
        ("Where is it?", "track_order", "not-an-email", ""),
        ("Cancel it", "", "", ""),
    ], header=("text", "label", "email", "subject"))

    with django_capture_on_commit_callbacks(execute=True):
        out = run("import_tickets", str(path), "--format", "csv", "--email-column", "email", "--subject-column",
                  "subject", "--default-email", "fallback@example.com")

    assert "2 tickets imported, 1 rows refused" in out and "line 3: no valid customer email (not-an-email)" in out
    first = Ticket.objects.get(customer_email="a@example.com")
    assert first.subject == "Refund" and first.channel == "email"
    assert first.messages.get().redacted_body == "Refund please, card [CARD_1]"
    assert (first.intent, first.intent_set_by) == ("get_refund", "staff")
    assert IntentLabel.objects.get().ticket == first
    assert Ticket.objects.get(customer_email="fallback@example.com").subject == "Cancel it"
    assert len(queued) == 2


@pytest.mark.django_db
def test_import_tickets_reads_bitext_and_banking77_columns(tmp_path):
    bitext = write_csv(tmp_path / "bitext.csv", [("where is my order", "track_order", "ORDER")] * 2,
                       header=("instruction", "intent", "category"))
    folder = tmp_path / "banking77"
    folder.mkdir()
    write_csv(folder / "train.csv", [("card arrived?", "card_arrival")] * 3, header=("text", "category"))

    run("import_tickets", str(bitext), "--format", "bitext", "--as", "labels")
    run("import_tickets", str(folder), "--format", "banking77", "--as", "labels", "--limit", "2")

    assert Intent.objects.get(name="track_order").category == "ORDER"
    assert IntentLabel.objects.filter(intent="card_arrival").count() == 2


@pytest.mark.django_db
def test_train_intents_without_enough_labels_is_a_clear_error(fake_models):
    with pytest.raises(CommandError, match="need at least two intents"):
        run("train_intents")
