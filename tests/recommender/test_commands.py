"""The management commands: import_events, train_recommender, evaluate_recommender."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from recommender.models import Event, ModelVersion
from tests.recommender.factories import synthetic_online_retail, write_online_retail

pytestmark = pytest.mark.django_db

RECOMMENDERS = {"popularity", "buy_again", "implicit_als", "implicit_bm25", "decayed_popularity", "bought_together",
                "item_similarity", "user_cf", "session", "blend"}


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_evaluate_prints_json_keyed_by_recommender_and_stores_the_numbers(tmp_path):
    path = synthetic_online_retail(tmp_path / "shop.csv.gz")

    out, _ = run("evaluate_recommender", "--events", str(path), "--format", "online-retail", "--test-days", "30",
                 "--k", "10", "--json")

    results = json.loads(out)
    assert set(results) == RECOMMENDERS
    for values in results.values():
        assert set(values) == {"precision", "recall", "ndcg", "map", "coverage", "fit_seconds"}
        assert all(0.0 <= values[m] <= 1.0 for m in ("precision", "recall", "ndcg", "map", "coverage"))
    version = ModelVersion.objects.get()
    assert version.notes == "offline evaluation"
    assert version.metrics == results
    assert version.parameters["evaluation"]["k"] == 10
    assert not version.servable


def test_evaluate_prints_a_table_by_default(tmp_path):
    path = synthetic_online_retail(tmp_path / "shop.csv")

    out, err = run("evaluate_recommender", "--events", str(path), "--k", "5")

    lines = out.splitlines()
    assert lines[0].split() == ["recommender", "precision@5", "recall@5", "ndcg@5", "map@5", "coverage@5", "fit_s"]
    assert {line.split()[0] for line in lines[2:]} == RECOMMENDERS
    assert "stored as version" in err


def test_evaluate_refuses_a_file_it_cannot_read(tmp_path):
    (tmp_path / "bad.csv").write_text("nothing,here\n1,2\n")

    with pytest.raises(CommandError, match="cannot read"):
        run("evaluate_recommender", "--events", str(tmp_path / "bad.csv"))

    assert not ModelVersion.objects.exists()


def test_import_reports_counts_and_refused_lines_and_a_second_run_adds_nothing(tmp_path):
    path = write_online_retail(tmp_path / "orders.csv", [
        ["1", "A", "A THING", "2", "2011-01-01 10:00:00", "1.00", "100", "UK"],
        ["1", "BB", "B THING", "x", "2011-01-01 10:00:00", "1.00", "100", "UK"],
    ])

    out, _ = run("import_events", "--format", "online-retail", str(path))
    again, _ = run("import_events", "--format", "online-retail", str(path))

    assert "1 events stored, 0 already there; 1 products created" in out
    assert "line 3: Quantity 'x' is not a whole number" in out
    assert "0 events stored, 1 already there" in again
    assert Event.objects.count() == 1


def test_import_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Nothing was imported"):
        run("import_events", "--format", "online-retail", str(tmp_path / "missing.csv"))


def test_train_reports_the_version_and_its_metrics_and_can_activate_it(tmp_path):
    run("import_events", str(synthetic_online_retail(tmp_path / "shop.csv")))

    out, _ = run("train_recommender", "--activate", "--embeddings", "off", "--k", "5")

    version = ModelVersion.objects.get()
    assert version.is_active
    assert f"Version #{version.pk} trained" in out and "and active" in out
    assert "blend" in out and "ndcg@5" in out


def test_train_without_events_is_an_error():
    with pytest.raises(CommandError, match="no events to train on"):
        run("train_recommender", "--embeddings", "off")
