"""A/B tests across a category: arms by provenance (template version, adapter), one arm per visitor on every
product, only approved copy served, products without every arm left out, and results per arm."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from content import services as content_services
from content.models import Draft, DraftStatus
from ecomcms.models import Adapter, AdapterStatus
from recommender.models import Event
from storefront import experiments
from storefront.models import ExperimentVariant
from tests.content.factories import make_product
from tests.storefront.factories import make_draft, publish


@pytest.fixture
def versions(editor):
    v1 = content_services.template_active("description")
    v2 = content_services.template_save_version(kind="description", system=v1.system, user=v1.user,
                                                options=v1.options, max_chars=v1.max_chars, actor=editor,
                                                activate=False)
    return v1, v2


def ai_draft(product, template, text, *, status=DraftStatus.APPROVED, adapter: str = "", variant: int = 1) -> Draft:
    """A draft the model wrote with this template (and adapter folder), in the given state."""
    return Draft.objects.create(product=product, kind=template.kind, variant=variant, template=template, status=status,
                                ai_text=text, model_id="smol", generated_at=timezone.now(),
                                generation_options={"adapter": adapter} if adapter else {})


@pytest.fixture
def kitchen(versions, editor):
    """Seven kitchen products: four with an approved draft of each arm (one of them published), one with v1 only,
    one whose v2 draft is still in review, one under a running product experiment; a garden product with both."""
    v1, v2 = versions
    products = [make_product(slug=f"pan-{i}", sku=f"PAN-{i}", category="kitchen") for i in range(7)]
    for product in products:
        publish(product, f"Published copy of {product.slug}.")
    for product in products[:4]:
        ai_draft(product, v1, f"Arm A copy of {product.slug}.")
        ai_draft(product, v2, f"Arm B copy of {product.slug}.")
    content_services.draft_publish(draft=Draft.objects.get(ai_text="Arm B copy of pan-3."), actor=None)
    ai_draft(products[0], v2, "An older approved v2 draft.", variant=2)  # variant 1 wins
    ai_draft(products[4], v1, "Arm A copy of pan-4.")
    ai_draft(products[5], v1, "Arm A copy of pan-5.")
    ai_draft(products[5], v2, "Arm B draft of pan-5 not reviewed yet.", status=DraftStatus.IN_REVIEW)
    ai_draft(products[6], v1, "Arm A copy of pan-6.")
    ai_draft(products[6], v2, "Arm B copy of pan-6.")
    busy = [make_draft(products[6], text=f"Product test {label} of pan-6.", status=DraftStatus.APPROVED)
            for label in "AB"]
    experiments.experiment_start(product=products[6], kind="description", drafts=busy, actor=editor)
    garden = make_product(slug="hose", category="garden")
    ai_draft(garden, v1, "Arm A copy of the hose.")
    ai_draft(garden, v2, "Arm B copy of the hose.")
    return products


def _start(editor, arms=("1", "2"), **kwargs):
    return experiments.experiment_start_category(category="kitchen", kind="description", arms=list(arms),
                                                 actor=editor, **kwargs)


def test_only_the_products_with_a_draft_from_every_arm_are_in_it(kitchen, editor):
    experiment = _start(editor, name="Template 2 on the kitchen")

    variants = list(ExperimentVariant.objects.filter(experiment=experiment).select_related("product"))
    assert sorted((v.product.slug, v.label, v.text) for v in variants) == sorted(
        (f"pan-{i}", label, f"Arm {label} copy of pan-{i}.") for i in range(4) for label in "AB")
    assert all(v.running and v.kind == "description" for v in variants)
    assert experiment.coverage == {"products": 7, "in_experiment": 4, "without_arms": 2, "busy": 1}
    assert [arm["label"] for arm in experiment.arms] == ["Product description v1", "Product description v2"]
    assert experiment.arm_by == "template" and experiment.product_id is None


def test_a_visitor_sees_the_same_arm_on_every_product_of_the_category(shop, kitchen, editor):
    experiment = _start(editor)  # (a token: the anonymous rate would throttle this many requests)
    seen = set()
    for visitor in [f"s-{i}" for i in range(50)]:
        label = "AB"[experiments.variant_index(experiment.pk, visitor, 2)]
        for i in range(4):
            body = shop.get(f"/api/v1/products/pan-{i}", {"visitor": visitor}).json()
            (copy,) = [c for c in body["copy"] if c["kind"] == "description"]
            assert copy["experiment"] == {"id": experiment.pk, "variant": label, "key": f"{experiment.pk}:{label}"}
            assert copy["text"] == f"Arm {label} copy of pan-{i}."
        seen.add(label)
        for i in (4, 5):  # not in the experiment: the published copy, counted for no arm
            (copy,) = shop.get(f"/api/v1/products/pan-{i}", {"visitor": visitor}).json()["copy"]
            assert (copy["text"], copy["experiment"]) == (f"Published copy of pan-{i}.", None)
        (copy,) = shop.get("/api/v1/products/pan-6", {"visitor": visitor}).json()["copy"]
        assert copy["experiment"]["id"] != experiment.pk  # the product's own experiment, started first
    assert seen == {"A", "B"}
    without = shop.get("/api/v1/products/pan-0").json()["copy"]
    assert [(c["text"], c["experiment"]) for c in without] == [("Published copy of pan-0.", None)]

    experiments.experiment_stop(experiment=experiment, actor=editor)
    assert not ExperimentVariant.objects.filter(experiment=experiment, running=True).exists()
    (copy,) = shop.get("/api/v1/products/pan-0", {"visitor": "s-1"}).json()["copy"]
    assert (copy["text"], copy["experiment"]) == ("Published copy of pan-0.", None)


def test_arms_by_adapter_use_the_adapter_the_drafts_were_written_with(versions, editor, tmp_path):
    v1, _ = versions
    Adapter.objects.create(purpose="content.copy", version=2, status=AdapterStatus.READY,
                           path=str(tmp_path / "content.copy-v2"))
    both, base_only = make_product(category="mugs"), make_product(category="mugs")
    ai_draft(both, v1, "Written by the base model.")
    ai_draft(both, v1, "Written with the adapter.", adapter=str(tmp_path / "content.copy-v2"))
    ai_draft(base_only, v1, "Only the base model wrote this one.")
    ai_draft(base_only, v1, "Another adapter wrote this.", adapter="/elsewhere/content.copy-v1")

    experiment = experiments.experiment_start_category(category="mugs", kind="description",
                                                       arms=["adapter:none", "adapter:2"], actor=editor)

    assert dict(ExperimentVariant.objects.filter(experiment=experiment).values_list("label", "text")) == {
        "A": "Written by the base model.", "B": "Written with the adapter."}
    assert experiment.coverage["without_arms"] == 1
    assert [arm["label"] for arm in experiment.arms] == ["no adapter", "adapter content.copy-v2"]


def test_what_cannot_start_is_refused_and_nothing_is_written(kitchen, editor, writer):
    with pytest.raises(experiments.NotAllowed):
        _start(writer)
    for arms, message in ((["1", "1"], "must be different"), (["1"], "expected 2 to 3 arms"),
                          (["1", "adapter:none"], "of one kind"), (["1", "9"], "no version 9"),
                          (["1", "adapter:4"], "no trained content.copy adapter has version 4")):
        with pytest.raises(experiments.ExperimentError, match=message):
            _start(editor, arms)
    with pytest.raises(experiments.ExperimentError, match="no active product is in the category"):
        experiments.experiment_start_category(category="nowhere", kind="description", arms=["1", "2"], actor=editor)
    with pytest.raises(experiments.ExperimentError, match="7 of 7 lack an approved description from every arm"):
        _start(editor, ["model:smol", "model:a-model-nobody-ran"])
    assert ExperimentVariant.objects.count() == 2  # the product experiment's only

    experiment = _start(editor)
    with pytest.raises(experiments.ExperimentError, match="already has a running"):
        _start(editor)
    drafts = list(Draft.objects.filter(product=kitchen[0], status=DraftStatus.APPROVED)[:2])
    with pytest.raises(experiments.ExperimentError, match="already has a running description experiment"):
        experiments.experiment_start(product=kitchen[0], kind="description", drafts=drafts, actor=editor)
    experiments.experiment_stop(experiment=experiment, actor=editor)
    experiments.experiment_start(product=kitchen[0], kind="description", drafts=drafts, actor=editor)


# --- Results: synthetic shoppers -----------------------------------------------------------------

@pytest.fixture
def shelf(versions, editor):
    """Eight products of a category, each with an approved draft from template v1 and v2."""
    v1, v2 = versions
    products = [make_product(category="shelf") for _ in range(8)]
    for product in products:
        ai_draft(product, v1, f"v1 copy of {product.sku}.")
        ai_draft(product, v2, f"v2 copy of {product.sku}.")
    return products


def _simulate(experiment, products, rates: dict[str, float], visitors: int, seed: int = 1) -> None:
    """Synthetic shoppers: each views 1 to 3 of the category's products, and adds one to the cart with its arm's
    rate."""
    rng = np.random.default_rng(seed)
    experiment.started_at = timezone.now() - timedelta(hours=1)
    experiment.save(update_fields=["started_at"])
    start = experiment.started_at + timedelta(seconds=1)
    rows = []
    for i in range(visitors):
        session = f"sim-{seed}-{i}"
        label = "AB"[experiments.variant_index(experiment.pk, session, 2)]
        viewed = rng.choice(len(products), size=rng.integers(1, 4), replace=False)
        for n, index in enumerate(viewed):
            rows.append(Event(source="sim", client_id=f"{session}-v{n}", type="view", product=products[index],
                              session_id=session, occurred_at=start + timedelta(seconds=n)))
        if rng.random() < rates[label]:
            rows.append(
                Event(
                    source="sim",
                    client_id=f"{session}-c",
                    type="add_to_cart",
                    product=products[viewed[-1]],
                    session_id=session,
                    occurred_at=start + timedelta(seconds=5),
                )
            )
            if rng.random() < 0.5:
                rows.append(Event(source="sim", client_id=f"{session}-p", type="purchase", quantity=1,
                                  product=products[viewed[-1]], session_id=session,
                                  occurred_at=start + timedelta(seconds=9)))
    Event.objects.bulk_create(rows)


def test_a_simulation_with_a_known_lift_finds_the_better_arm(shelf, editor):
    experiment = experiments.experiment_start_category(category="shelf", kind="description", arms=["1", "2"],
                                                       actor=editor)
    _simulate(experiment, shelf, {"A": 0.08, "B": 0.13}, visitors=4000)
    result = experiments.experiment_results(experiment)
    rows = {r["label"]: r for r in result["variants"]}
    assert result["verdict"]["winner"] == "B", [{k: v for k, v in r.items() if k != "draft_ids"} for r in rows.values()]
    assert sum(r["exposures"] for r in rows.values()) == 4000  # a visitor counts once, however many products they saw
    assert rows["B"]["p_best_cart"] > 0.95 and rows["B"]["products"] == 8
    assert rows["A"]["cart_rate"]["low"] < 0.08 < rows["A"]["cart_rate"]["high"]
    assert rows["B"]["name"] == "Product description v2" and result["scope"] == "category"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equal_arms_show_no_winner(shelf, editor, seed):
    experiment = experiments.experiment_start_category(category="shelf", kind="description", arms=["1", "2"],
                                                       actor=editor)
    _simulate(experiment, shelf, {"A": 0.10, "B": 0.10}, visitors=3000, seed=seed)
    assert experiments.experiment_results(experiment)["verdict"]["winner"] is None


def test_events_on_products_outside_the_experiment_or_without_a_view_do_not_count(shelf, editor):
    outside = make_product(category="shelf")  # no drafts: not in the experiment
    experiment = experiments.experiment_start_category(category="shelf", kind="description", arms=["1", "2"],
                                                       actor=editor, minimum_exposures=1)
    experiment.started_at = timezone.now() - timedelta(hours=1)
    experiment.save(update_fields=["started_at"])
    at = experiment.started_at + timedelta(seconds=1)
    Event.objects.bulk_create([
        Event(source="t", client_id="out", type="view", product=outside, session_id="s1", occurred_at=at),
        Event(source="t", client_id="out-cart", type="add_to_cart", product=outside, session_id="s1", occurred_at=at),
        Event(source="t", client_id="cart-unseen", type="add_to_cart", product=shelf[0], session_id="s2",
              occurred_at=at),
        Event(source="t", client_id="seen", type="view", product=shelf[1], session_id="s3", occurred_at=at,
              experiment_variant=f"{experiment.pk}:B"),
        Event(source="t", client_id="other", type="add_to_cart", product=shelf[2], session_id="s3",
              occurred_at=at + timedelta(seconds=1)),  # a product s3 never viewed: no conversion
    ])
    rows = {r["label"]: r for r in experiments.experiment_results(experiment)["variants"]}
    assert [(rows[label]["exposures"], rows[label]["carts"]) for label in "AB"] == [(0, 0), (1, 0)]


# --- The admin ---------------------------------------------------------------------------------------

def test_the_admin_starts_a_category_experiment_shows_it_and_links_its_drafts(client, shelf, editor, writer):
    url = reverse("admin:ecomcms_storefront_experiment_add_category")
    client.force_login(writer)
    assert client.get(url).status_code == 403
    assert (
        "Start on a category"
        not in client.get(reverse("admin:ecomcms_storefront_experiment_changelist")).content.decode()
    )
    client.force_login(editor)
    assert (
        "Start on a category" in client.get(reverse("admin:ecomcms_storefront_experiment_changelist")).content.decode()
    )
    form = {"name": "v2 on shelves", "category": "shelf", "kind": "description", "arm_a": "1", "arm_b": "2",
            "minimum_exposures": 100, "primary_metric": "cart", "lift_percent": 100}
    page = client.post(url, form | {"arm_b": "adapter:3"})
    assert page.status_code == 200 and "no trained content.copy adapter has version 3" in page.content.decode()
    assert client.post(url, form | {"category": "nowhere"}).status_code == 200  # not a choice: the form says so
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    experiment = experiments.Experiment.objects.get(category="shelf")
    _simulate(experiment, shelf, {"A": 0.04, "B": 0.25}, visitors=600)
    page = client.get(reverse("admin:ecomcms_storefront_experiment_change", args=[experiment.pk])).content.decode()
    assert "Variant B is likely best" in page and "publishing its drafts" in page
    assert "8 of the 8 active products of shelf are in it" in page
    assert "Product description v2 on 8 products" in page and "?id__in=" in page
    b_drafts = next(r for r in experiments.experiment_results(experiment)["variants"] if r["label"] == "B")["draft_ids"]
    listed = client.get(reverse("admin:ecomcms_content_draft_changelist"), {"id__in": ",".join(map(str, b_drafts))})
    assert listed.status_code == 200 and listed.context["cl"].result_count == 8  # the drafts to publish, and only those
    assert "Stop the experiment" in page
