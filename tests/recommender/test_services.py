"""Serving: candidates, exclusions, merchandising rules, per-category caps and reasons, on a shop with known answers."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from recommender import artifacts, services
from recommender.engine import Blend
from recommender.models import MerchandisingRule, ShopSetting
from recommender.training import load_training_data
from tests.recommender.factories import buy, make_shop_product, train, view

pytestmark = pytest.mark.django_db

NEVER_SHOWN = {"sold-out", "archived", "unpublished"}


def slugs(recommendations) -> list[str]:
    return [item.product.slug for item in recommendations.items]


def for_nobody(**kwargs) -> list[str]:
    return slugs(services.recommend_for_customer(customer_id="nobody", **kwargs))


def rule(product, action, **fields) -> MerchandisingRule:
    return MerchandisingRule.objects.create(product=product, action=action, **fields)


# --- What may be shown ---------------------------------------------------------------------------

def test_only_active_in_stock_products_with_published_copy_are_recommended_anywhere(catalogue, repeat_shop):
    train()
    view("visit", [catalogue["mug"]])

    lists = [
        services.recommend_for_customer(customer_id="k0", n=50),
        services.recommend_for_customer(customer_id="nobody", n=50),
        services.recommend_for_session(session_id="visit", n=50),
        services.recommend_similar(product=catalogue["mug"], n=50),
        services.recommend_bought_together(product=catalogue["mug"], n=50),
    ]

    for recommendations in lists:
        assert slugs(recommendations), recommendations
        assert not NEVER_SHOWN & set(slugs(recommendations))


def test_without_an_active_version_the_lists_are_empty(catalogue):
    train(activate=False)

    result = services.recommend_for_customer(customer_id="alice")

    assert result.version is None
    assert result.items == []


def test_a_customer_without_purchases_gets_what_is_popular(catalogue):
    train()

    result = services.recommend_for_customer(customer_id="nobody", n=50)

    assert sorted(slugs(result)) == ["hat", "mug", "polo", "pot", "scarf", "shirt", "tea", "tee"]
    assert slugs(result)[0] == "mug"  # bought most recently (alice, 5 days ago): the 3-day half-life favours it
    assert {item.reason.kind for item in result.items} == {"popular"}
    assert result.items[0].reason.text == "popular in kitchen"
    assert result.items[0].score == 1.0
    assert [item.score for item in result.items] == sorted((item.score for item in result.items), reverse=True)


def test_what_a_customer_bought_is_not_recommended_by_default(catalogue):
    train()

    result = services.recommend_for_customer(customer_id="alice", n=50)

    assert "mug" not in slugs(result)
    assert result.items[0].score == 1.0  # scores are relative to the best product shown, not to the mug


def test_a_repeat_purchase_shop_recommends_what_the_customer_buys_again(catalogue, repeat_shop):
    train()

    result = services.recommend_for_customer(customer_id="alice", n=50)

    assert slugs(result)[0] == "mug"
    assert result.items[0].reason.kind == "bought_before"
    assert result.items[0].reason.text == "you bought this before"


def test_purchases_since_training_count_for_a_customer_the_version_never_saw(catalogue, repeat_shop):
    train()
    buy("carol", "CA1", [catalogue["scarf"]], days_ago=0)

    result = services.recommend_for_customer(customer_id="carol")

    assert slugs(result)[0] == "scarf"
    assert result.items[0].reason.kind == "bought_before"


def test_a_cancelled_purchase_does_not_count_as_bought(catalogue):
    buy("bob", "B1", [catalogue["polo"]], days_ago=3)
    buy("bob", "CB1", [catalogue["polo"]], days_ago=2, quantity=-1)
    buy("bob", "B2", [catalogue["hat"]], days_ago=2)
    train()

    shown = slugs(services.recommend_for_customer(customer_id="bob", n=50))

    assert "polo" in shown
    assert "hat" not in shown


def test_the_request_excludes_products_by_sku_or_slug(catalogue):
    train()

    shown = for_nobody(n=50, exclude=["TEA", "pot"])

    assert sorted(shown) == ["hat", "mug", "polo", "scarf", "shirt", "tee"]


def test_the_category_filter_keeps_one_category(catalogue):
    train()

    assert sorted(for_nobody(n=50, category="shirts")) == ["polo", "shirt", "tee"]


def test_at_most_n_per_category(catalogue):
    train()
    everything = for_nobody(n=50)

    capped = for_nobody(n=50, per_category=1)

    categories = {p.slug: p.category for p in catalogue.values()}
    assert sorted(categories[slug] for slug in capped) == ["accessories", "kitchen", "shirts"]
    assert capped == [slug for slug in everything if slug in capped]  # each category's best, in the same order


def test_the_shop_setting_caps_per_category_unless_the_request_says_otherwise(catalogue):
    train()
    ShopSetting.objects.update_or_create(pk=1, defaults={"max_per_category": 2})

    default = for_nobody(n=50)
    overridden = for_nobody(n=50, per_category=3)

    assert len(default) == 6
    assert len(overridden) == 8


def test_n_limits_the_list(catalogue):
    train()

    assert len(for_nobody(n=2)) == 2


# --- Merchandising rules -------------------------------------------------------------------------

def test_a_pinned_product_takes_its_position_and_the_rest_keep_their_order(catalogue):
    train()
    before = for_nobody(n=5)
    last = for_nobody(n=50)[-1]
    rule(catalogue[last], "pin", position=2)

    result = services.recommend_for_customer(customer_id="nobody", n=5)

    assert slugs(result) == [before[0], last, *before[1:4]]
    assert result.items[1].reason.kind == "featured"


def test_a_pin_never_shows_a_product_that_may_not_be_shown(catalogue):
    train()
    before = for_nobody(n=5)
    rule(catalogue["sold-out"], "pin", position=1)
    rule(catalogue["unpublished"], "pin", position=1)

    assert for_nobody(n=5) == before


def test_a_boost_lifts_a_product_and_a_bury_sinks_one(catalogue):
    train()
    before = for_nobody(n=50)
    rule(catalogue[before[-1]], "boost", weight=2.0)
    rule(catalogue[before[0]], "bury", weight=5.0)

    after = for_nobody(n=50)

    assert after == [before[-1], *before[1:-1], before[0]]


def test_an_exclude_rule_removes_a_product_from_every_list(catalogue):
    train()
    rule(catalogue["tea"], "exclude")

    assert "tea" not in for_nobody(n=50)
    assert "tea" not in slugs(services.recommend_bought_together(product=catalogue["mug"], n=50))


def test_a_rule_applies_only_to_its_lists_and_its_time_window(catalogue):
    train()
    before = for_nobody(n=50)
    now = timezone.now()
    rule(catalogue["tea"], "exclude", context="similar")
    rule(catalogue["mug"], "exclude", ends_at=now - timedelta(minutes=1))
    rule(catalogue["pot"], "exclude", starts_at=now + timedelta(minutes=1))
    rule(catalogue["hat"], "pin", position=1, category="accessories")

    assert for_nobody(n=50) == before
    assert "tea" not in slugs(services.recommend_similar(product=catalogue["mug"], n=50))
    assert for_nobody(n=50, category="accessories")[0] == "hat"


# --- Product pages and sessions --------------------------------------------------------------------

def test_bought_together_ranks_by_lift_and_names_the_product(catalogue):
    train()

    result = services.recommend_bought_together(product=catalogue["mug"], n=3)

    assert slugs(result)[:2] == ["tea", "pot"]
    assert result.items[0].reason.kind == "bought_with"
    assert result.items[0].reason.text == "bought with Mug"
    assert result.items[0].reason.product == catalogue["mug"]
    assert "mug" not in slugs(services.recommend_bought_together(product=catalogue["mug"], n=50))


def test_similar_items_come_from_the_same_customers(catalogue):
    train()

    result = services.recommend_similar(product=catalogue["tee"], n=2)

    assert slugs(result) == ["shirt", "polo"]
    assert result.items[0].reason.text == "similar to Tee"


def test_a_session_gets_products_like_the_ones_it_viewed_and_not_those(catalogue):
    train()
    view("visit", [catalogue["scarf"]])

    result = services.recommend_for_session(session_id="visit", n=50)

    assert slugs(result)[0] == "hat"
    assert result.items[0].reason.text == "similar to Scarf"
    assert "scarf" not in slugs(result)


def test_a_session_without_events_gets_what_is_popular(catalogue):
    train()

    result = services.recommend_for_session(session_id="new-visitor", n=3)

    assert slugs(result)[0] == "mug"
    assert {item.reason.kind for item in result.items} == {"popular"}


def test_a_product_added_after_training_gets_what_is_popular_in_its_category(catalogue):
    train()
    kettle = make_shop_product("kettle", "kitchen")

    result = services.recommend_similar(product=kettle, n=3)

    assert [item.product.category for item in result.items] == ["kitchen", "kitchen", "kitchen"]
    assert "kettle" not in slugs(result)
    assert result.items[0].reason.text == "popular in kitchen"


def test_a_version_can_be_asked_for_by_id_while_another_is_active(catalogue, repeat_shop):
    first = train()
    buy("alice", "AL2", [catalogue["hat"]] * 1, days_ago=1)
    buy("alice", "AL3", [catalogue["hat"]], days_ago=0.5)
    second = train()

    assert slugs(services.recommend_for_customer(customer_id="alice", n=1)) == ["hat"]
    old = services.recommend_for_customer(customer_id="alice", n=1, version=first)
    assert old.version == first and slugs(old) == ["mug"]
    assert second.is_active


# --- The served scores are the engine's ------------------------------------------------------------

def test_the_customer_ranking_is_the_engine_blend(catalogue):
    version = train()
    data = load_training_data()
    from recommender.engine import net_cancellations

    engine = Blend(categories=data.categories).fit(net_cancellations(data.events))
    artifact = artifacts.cached(version.artifact)
    user = int(np.flatnonzero(engine.train.user_ids == "k3")[0])

    served = artifact.customer_ranking("k3").scores
    expected = engine.score(np.array([user]))[0]

    assert np.allclose(served, expected, atol=1e-5)


def test_the_hand_written_session_read_gives_the_orms_products_in_its_order():
    from datetime import datetime

    from recommender import selectors
    from recommender.models import Event, EventType

    products = [make_shop_product(f"p{n}", "c") for n in range(6)]
    at = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.get_current_timezone())
    rows = [(EventType.VIEW, 0, 5), (EventType.ADD_TO_CART, 1, 5), (EventType.PURCHASE, 2, 3), (EventType.VIEW, 0, 2),
            (EventType.SEARCH, 3, 9), (EventType.VIEW, 4, 1), (EventType.VIEW, None, 8), (EventType.VIEW, 5, 5)]
    for n, (kind, product, minutes) in enumerate(rows):
        Event.objects.create(source="t", client_id=f"s{n}", type=kind, session_id="s-1",
                             product=products[product] if product is not None else None,
                             occurred_at=at + timedelta(minutes=minutes))
    Event.objects.create(source="t", client_id="other", type=EventType.VIEW, session_id="s-2", product=products[3],
                         occurred_at=at)

    for limit in (20, 2):
        recent = (Event.objects.filter(session_id="s-1", type__in=selectors.SESSION_TYPES, product__isnull=False)
                  .order_by("-occurred_at", "-pk").values_list("product_id", flat=True)[: limit * 10])
        expected = list(dict.fromkeys(recent))[:limit]

        assert selectors.session_products("s-1", limit) == expected
    assert selectors.session_products("s-1") == [p.pk for p in (products[5], products[1], products[0],
                                                                 products[2], products[4])]
    assert selectors.session_products("nobody") == []
