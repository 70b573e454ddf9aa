"""A/B tests of approved copy: deterministic balanced assignment, serving, attribution, verdicts, the admin page."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone
from scipy.stats import chisquare

from content.models import DraftStatus
from recommender.models import Event
from storefront import experiments
from storefront.models import ExperimentStatus
from tests.content.factories import make_product
from tests.storefront.factories import make_draft, publish


@pytest.fixture
def product(db):
    item = make_product(slug="linen-shirt", sku="LIN-1")
    publish(item, "The published description.")
    return item


def _variants(product, count=2):
    return [make_draft(product, text=f"Variant text {label}.", status=DraftStatus.APPROVED) for label in "ABC"[:count]]


@pytest.mark.parametrize("count", [2, 3])
def test_assignment_is_deterministic_and_balanced_over_10000_ids(count):
    ids = [f"session-{i}" for i in range(10_000)]
    first = [experiments.variant_index(7, visitor, count) for visitor in ids]
    assert first == [experiments.variant_index(7, visitor, count) for visitor in ids]
    observed = np.bincount(first, minlength=count)
    assert chisquare(observed).pvalue > 0.001, observed
    other = [experiments.variant_index(8, visitor, count) for visitor in ids]
    assert first != other  # each experiment splits visitors afresh


def test_only_approved_drafts_of_the_product_and_an_editor_who_publishes_can_start(product, editor, writer):
    approved = _variants(product)
    in_review = make_draft(product, text="Not approved yet.")
    with pytest.raises(experiments.NotAllowed):
        experiments.experiment_start(product=product, kind="description", drafts=approved, actor=writer)
    with pytest.raises(experiments.ExperimentError, match="in review"):
        experiments.experiment_start(product=product, kind="description", drafts=[approved[0], in_review], actor=editor)
    with pytest.raises(experiments.ExperimentError, match="2 or 3"):
        experiments.experiment_start(product=product, kind="description", drafts=approved[:1], actor=editor)
    other = make_draft(make_product(), text="Another product.", status=DraftStatus.APPROVED)
    with pytest.raises(experiments.ExperimentError, match="is not a description"):
        experiments.experiment_start(product=product, kind="description", drafts=[approved[0], other], actor=editor)
    experiments.experiment_start(product=product, kind="description", drafts=approved, actor=editor)
    with pytest.raises(experiments.ExperimentError, match="already has a running"):
        experiments.experiment_start(product=product, kind="description", drafts=approved, actor=editor)


def test_the_api_serves_each_visitor_one_variant_and_the_published_copy_otherwise(api, product, editor):
    experiment = experiments.experiment_start(product=product, kind="description", drafts=_variants(product),
                                              actor=editor)
    url = "/api/v1/products/linen-shirt"
    seen = {}
    for visitor in [f"s-{i}" for i in range(40)]:
        body = api.get(url, {"visitor": visitor}).json()
        (copy,) = [c for c in body["copy"] if c["kind"] == "description"]
        expected = "AB"[experiments.variant_index(experiment.pk, visitor, 2)]
        assert copy["experiment"] == {"id": experiment.pk, "variant": expected, "key": f"{experiment.pk}:{expected}"}
        assert copy["text"] == f"Variant text {expected}."
        assert api.get(url, {"visitor": visitor}).json()["copy"] == body["copy"]  # the same on every visit
        seen[expected] = True
    assert set(seen) == {"A", "B"}
    anonymous = api.get(url).json()["copy"]
    assert [(c["text"], c["experiment"]) for c in anonymous] == [("The published description.", None)]
    assert api.get(url, {"visitor": "x" * 101}).status_code == 400
    experiments.experiment_stop(experiment=experiment, actor=editor)
    after = api.get(url, {"visitor": "s-1"}).json()["copy"]
    assert [(c["text"], c["experiment"]) for c in after] == [("The published description.", None)]


def test_events_carry_the_variant_and_a_bad_one_is_rejected_per_row(shop, product):
    now = timezone.now().isoformat()
    response = shop.post("/api/v1/events", {"events": [
        {"id": "e1", "type": "view", "product": "LIN-1", "session_id": "s", "occurred_at": now, "variant": "12:B"},
        {"id": "e2", "type": "view", "product": "LIN-1", "session_id": "s", "occurred_at": now, "variant": "B"},
    ]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1 and [r["index"] for r in body["rejected"]] == [1]
    assert Event.objects.get(client_id="e1").experiment_variant == "12:B"


def _simulate(experiment, rates: dict[str, float], visitors: int, seed: int = 1, bought: dict | None = None,
              later: timedelta | None = None) -> None:
    """Synthetic shoppers: each views the product, and adds to cart with its variant's rate.

    Once in the cart, half of them buy (``bought``: that share per variant). ``later``: they come
    that long after the start of the shoppers already simulated (the start is not moved).
    """
    rng = np.random.default_rng(seed)
    if later is None:
        experiment.started_at = timezone.now() - timedelta(hours=1)  # the shoppers came in the hour since the start
        experiment.save(update_fields=["started_at"])
    labels = [v.label for v in experiment.variants.order_by("label")]
    start = experiment.started_at + (later or timedelta(0)) + timedelta(seconds=1)
    rows = []
    for i in range(visitors):
        session = f"sim-{seed}-{i}"
        label = labels[experiments.variant_index(experiment.pk, session, len(labels))]
        rows.append(Event(source="sim", client_id=f"{session}-v", type="view", product=experiment.product,
                          session_id=session, occurred_at=start))
        if rng.random() < rates[label]:
            rows.append(Event(source="sim", client_id=f"{session}-c", type="add_to_cart", product=experiment.product,
                              session_id=session, occurred_at=start + timedelta(seconds=5)))
            if rng.random() < (bought or {}).get(label, 0.5):
                rows.append(Event(source="sim", client_id=f"{session}-p", type="purchase", product=experiment.product,
                                  session_id=session, quantity=1, occurred_at=start + timedelta(seconds=9)))
    Event.objects.bulk_create(rows)


def test_a_simulation_with_a_known_lift_finds_the_better_variant(product, editor):
    experiment = experiments.experiment_start(product=product, kind="description", drafts=_variants(product),
                                              actor=editor)
    _simulate(experiment, {"A": 0.08, "B": 0.13}, visitors=4000)
    result = experiments.experiment_results(experiment)
    assert result["verdict"]["winner"] == "B", [{k: v for k, v in r.items() if k != "text"} for r in result["variants"]]
    by_label = {r["label"]: r for r in result["variants"]}
    assert sum(r["exposures"] for r in result["variants"]) == 4000
    assert by_label["B"]["p_best_cart"] > 0.95
    assert by_label["A"]["cart_rate"]["low"] < 0.08 < by_label["A"]["cart_rate"]["high"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equal_variants_show_no_winner(product, editor, seed):
    experiment = experiments.experiment_start(product=product, kind="description", drafts=_variants(product, 3),
                                              actor=editor)
    _simulate(experiment, {"A": 0.10, "B": 0.10, "C": 0.10}, visitors=3000, seed=seed)
    assert experiments.experiment_results(experiment)["verdict"]["winner"] is None


def test_no_verdict_before_the_minimum_sample(product, editor):
    experiment = experiments.experiment_start(product=product, kind="description", drafts=_variants(product),
                                              actor=editor, minimum_exposures=300)
    _simulate(experiment, {"A": 0.0, "B": 0.9}, visitors=200)
    verdict = experiments.experiment_results(experiment)["verdict"]
    assert verdict["winner"] is None and verdict["message"].startswith("Not enough visitors")


def test_the_primary_metric_is_chosen_at_the_start_and_the_other_never_decides(product, editor):
    """B doubles the add-to-cart rate (8% -> 16%) but not purchases (4% each): only a cart experiment names it."""
    drafts = _variants(product)
    by_cart = experiments.experiment_start(product=product, kind="description", drafts=drafts, actor=editor)
    assert (by_cart.primary_metric, by_cart.baseline_rate, by_cart.minimum_lift, by_cart.planned_exposures) == (
        "cart", 0.08, 0.25, 3888)  # the default plan, fixed at the start
    _simulate(by_cart, {"A": 0.08, "B": 0.16}, visitors=4000, bought={"A": 0.5, "B": 0.25})
    result = experiments.experiment_results(by_cart)
    assert result["verdict"]["winner"] == "B" and result["verdict"]["metric"] == "cart"
    assert (result["plan"]["primary_label"], result["plan"]["secondary_label"]) == ("Add-to-cart rate", "Purchase rate")
    experiments.experiment_stop(experiment=by_cart, actor=editor)

    by_purchase = experiments.experiment_start(product=product, kind="description", drafts=drafts, actor=editor,
                                               primary_metric="purchase")
    assert (by_purchase.baseline_rate, by_purchase.planned_exposures) == (0.04, 8165)  # purchases are rarer
    _simulate(by_purchase, {"A": 0.08, "B": 0.16}, visitors=4000, bought={"A": 0.5, "B": 0.25}, seed=2)
    result = experiments.experiment_results(by_purchase)
    rows = {r["label"]: r for r in result["variants"]}
    assert rows["B"]["p_best_cart"] > 0.99  # the secondary metric is plain, and it does not decide
    assert result["verdict"]["winner"] is None and result["verdict"]["state"] == "running"
    assert result["verdict"]["message"].startswith("No winner yet") and "purchase rate" in result["verdict"]["message"]


def test_purchases_decide_an_experiment_that_chose_them(product, editor):
    experiment = experiments.experiment_start(product=product, kind="description", drafts=_variants(product),
                                              actor=editor, primary_metric="purchase")
    _simulate(experiment, {"A": 0.12, "B": 0.12}, visitors=4000, bought={"A": 0.25, "B": 0.75})  # 3% vs 9%
    verdict = experiments.experiment_results(experiment)["verdict"]
    assert (verdict["winner"], verdict["metric"]) == ("B", "purchase")


def test_a_plan_that_cannot_be_computed_is_refused_and_nothing_is_started(product, editor):
    drafts = _variants(product)
    with pytest.raises(experiments.ExperimentError, match="100% or more"):
        experiments.experiment_start(product=product, kind="description", drafts=drafts, actor=editor,
                                     baseline_rate=0.6, minimum_lift=1.0)
    with pytest.raises(experiments.ExperimentError, match="primary metric"):
        experiments.experiment_start(product=product, kind="description", drafts=drafts, actor=editor,
                                     primary_metric="views")
    assert not product.experiments.exists()


def test_the_verdict_counts_the_first_planned_visitors_and_later_ones_do_not_change_it(product, editor):
    experiment = experiments.experiment_start(product=product, kind="description", drafts=_variants(product),
                                              actor=editor, minimum_exposures=100, minimum_lift=1.0)
    planned = experiment.planned_exposures
    assert planned == 309  # 8% -> 16%
    _simulate(experiment, {"A": 0.10, "B": 0.10}, visitors=1000)
    before = experiments.experiment_results(experiment)
    assert before["verdict"]["state"] == "no_winner" and "stop the experiment" in before["verdict"]["message"]
    assert [r["counted"] for r in before["variants"]] == [planned, planned]
    _simulate(experiment, {"A": 0.0, "B": 0.9}, visitors=1000, seed=2, later=timedelta(minutes=10))
    after = experiments.experiment_results(experiment)
    assert sum(r["exposures"] for r in after["variants"]) == 2000  # shown ...
    assert after["verdict"] == before["verdict"]  # ... but the verdict was made on the plan's visitors


def test_events_before_the_start_or_without_a_view_do_not_count(product, editor):
    experiment = experiments.experiment_start(product=product, kind="description", drafts=_variants(product),
                                              actor=editor)
    experiment.started_at = timezone.now() - timedelta(hours=1)
    experiment.save(update_fields=["started_at"])
    before = experiment.started_at - timedelta(minutes=5)
    Event.objects.bulk_create([
        Event(source="t", client_id="old", type="view", product=product, session_id="s1", occurred_at=before),
        Event(source="t", client_id="cart", type="add_to_cart", product=product, session_id="s2",
              occurred_at=experiment.started_at + timedelta(seconds=1)),
        Event(source="t", client_id="sent", type="view", product=product, session_id="s3",
              occurred_at=experiment.started_at + timedelta(seconds=1), experiment_variant=f"{experiment.pk}:B"),
    ])
    rows = {r["label"]: r for r in experiments.experiment_results(experiment)["variants"]}
    assert (rows["A"]["exposures"], rows["B"]["exposures"]) == (0, 1)  # s3 counted where it said it was


def test_the_admin_starts_shows_and_stops_an_experiment(client, product, editor, writer):
    drafts = _variants(product)
    client.force_login(editor)
    response = client.post(reverse("admin:ecomcms_storefront_experiment_add"), {
        "name": "Shorter copy", "product": product.pk, "kind": "description", "minimum_exposures": 100,
        "drafts": [d.pk for d in drafts], "primary_metric": "cart", "baseline_percent": "", "lift_percent": 100,
    })
    assert response.status_code == 302, response.content[:2000]
    experiment = product.experiments.get()
    _simulate(experiment, {"A": 0.05, "B": 0.2}, visitors=600)
    page = client.get(reverse("admin:ecomcms_storefront_experiment_change", args=[experiment.pk])).content.decode()
    assert "Variant B is likely best" in page and "Stop the experiment" in page
    assert "<b>Decides:</b> the add-to-cart rate (chosen when it started); the purchase rate is shown" in page
    assert "<b>Planned sample:</b> 309 visitors per variant, to find a 100% lift on a baseline of 8.0%" in page
    assert "never automatic" in page
    client.force_login(writer)
    assert "Stop the experiment" not in client.get(
        reverse("admin:ecomcms_storefront_experiment_change", args=[experiment.pk])).content.decode()
    assert client.post(reverse("admin:ecomcms_storefront_experiment_stop", args=[experiment.pk])).status_code == 403
    client.force_login(editor)
    client.post(reverse("admin:ecomcms_storefront_experiment_stop", args=[experiment.pk]))
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.STOPPED


def test_the_admin_plans_on_the_chosen_metric_says_why_there_is_no_verdict_and_refuses_a_bad_plan(client, product,
                                                                                                   editor):
    drafts = _variants(product)
    client.force_login(editor)
    url = reverse("admin:ecomcms_storefront_experiment_add")
    form = {"name": "Buyers", "product": product.pk, "kind": "description", "minimum_exposures": 100,
            "drafts": [d.pk for d in drafts], "primary_metric": "purchase", "baseline_percent": 60, "lift_percent": 100}
    refused = client.post(url, form, follow=True)
    assert refused.status_code == 200 and "Not started: a 100% lift on 60.0% is a rate of 100% or more" in (
        refused.content.decode())
    assert client.post(url, form | {"primary_metric": "views"}).status_code == 200  # not a choice: the form says so
    assert not product.experiments.exists()
    assert client.post(url, form | {"baseline_percent": 5, "lift_percent": 50}).status_code == 302
    experiment = product.experiments.get()
    assert (experiment.primary_metric, experiment.baseline_rate, experiment.minimum_lift) == ("purchase", 0.05, 0.5)
    _simulate(experiment, {"A": 0.10, "B": 0.10}, visitors=400)
    page = client.get(reverse("admin:ecomcms_storefront_experiment_change", args=[experiment.pk])).content.decode()
    assert "<b>Decides:</b> the purchase rate (chosen when it started); the add-to-cart rate is shown" in page
    assert f"<b>Planned sample:</b> {experiment.planned_exposures} visitors per variant" in page
    assert "Purchase rate (95%) (decides)" in page and "Add-to-cart rate (95%) (secondary, never decides)" in page
    assert "No winner yet:" in page and "of the planned sample, where a verdict needs" in page
