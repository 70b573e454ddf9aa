"""A product's cached recommendation lists: served while nothing they depend on changed, rebuilt at once after."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from recommender import services
from recommender.models import MerchandisingRule, RuleAction, ShopSetting
from tests.recommender.factories import train

pytestmark = pytest.mark.django_db

SIMILAR = "/api/v1/recommendations/products/mug/similar"
TOGETHER = "/api/v1/recommendations/products/mug/bought-together"


@pytest.fixture
def api():
    return APIClient()


def slugs(response) -> list[str]:
    return [item["product"]["slug"] for item in response.json()["results"]]


@pytest.mark.parametrize("path", [SIMILAR, TOGETHER])
def test_a_cached_list_costs_one_query_and_the_same_bytes(api, catalogue, django_assert_num_queries, path):
    train()
    ShopSetting.load()
    first = api.get(path)

    with django_assert_num_queries(1):  # the catalogue's generation and the recommender's, in one
        again = api.get(path)

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert api.get(path, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_new_rule_changes_the_list_at_once(api, catalogue):
    train()
    before = slugs(api.get(TOGETHER))
    assert before[0] == "tea"

    MerchandisingRule.objects.create(product=catalogue["tea"], action=RuleAction.EXCLUDE)  # as the admin saves it

    assert "tea" not in slugs(api.get(TOGETHER))


def test_a_rule_that_starts_later_applies_from_its_start(api, catalogue):
    train()
    MerchandisingRule.objects.create(product=catalogue["tea"], action=RuleAction.EXCLUDE,
                                     starts_at=timezone.now() + timedelta(seconds=1))

    assert slugs(api.get(TOGETHER))[0] == "tea"  # cached, but only until the rule starts
    time.sleep(1.2)

    assert "tea" not in slugs(api.get(TOGETHER))


def test_a_product_sold_out_leaves_the_cached_list_at_once(api, catalogue):
    train()
    assert "tea" in slugs(api.get(TOGETHER))

    catalogue["tea"].stock = 0
    catalogue["tea"].save()

    assert "tea" not in slugs(api.get(TOGETHER))


def test_the_shops_setting_applies_at_once(api, catalogue):
    train()
    setting = ShopSetting.load()
    assert len([s for s in slugs(api.get(SIMILAR)) if s in {"tea", "pot"}]) == 2

    setting.max_per_category = 1
    setting.save()

    assert len([s for s in slugs(api.get(SIMILAR)) if s in {"tea", "pot"}]) <= 1


def test_activating_another_version_serves_it_at_once(api, catalogue):
    first = train()
    second = train()
    assert api.get(SIMILAR).json()["version"]["id"] == second.pk

    services.model_rollback()

    assert api.get(SIMILAR).json()["version"]["id"] == first.pk


def test_the_customer_and_session_lists_are_not_cached(api, catalogue, django_assert_max_num_queries):
    from tests.recommender.factories import recommendations_token

    train()
    token = recommendations_token("recommendations:read")
    api.get("/api/v1/recommendations/customer/k1", HTTP_AUTHORIZATION=f"Bearer {token}")

    with django_assert_max_num_queries(8) as context:
        api.get("/api/v1/recommendations/customer/k1", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert len(context.captured_queries) > 2  # the purchases are read again: they change with every event


def test_the_customer_and_session_lists_see_rules_stock_settings_and_versions_at_once(api, catalogue):
    """They read setting, version, rules and eligibility from the process's snapshot: stale after any change."""
    from tests.recommender.factories import recommendations_token

    first = train()
    token = recommendations_token("recommendations:read")

    def shown(who="customer/k1"):
        response = api.get(f"/api/v1/recommendations/{who}", HTTP_AUTHORIZATION=f"Bearer {token}")
        return response.json()

    assert shown()["results"] and shown("session/s-1")["results"] is not None
    top = shown()["results"][0]["product"]["slug"]
    MerchandisingRule.objects.create(product=catalogue[top], action=RuleAction.EXCLUDE)
    assert top not in [r["product"]["slug"] for r in shown()["results"]]

    second = [r["product"]["slug"] for r in shown()["results"]][0]
    catalogue[second].stock = 0
    catalogue[second].save()
    assert second not in [r["product"]["slug"] for r in shown()["results"]]

    setting = ShopSetting.load()
    setting.max_per_category = 1
    setting.save()
    categories = [catalogue[r["product"]["slug"]].category for r in shown()["results"]]
    assert len(categories) == len(set(categories))

    later = train()
    assert shown()["version"]["id"] == later.pk
    services.model_rollback()
    assert shown()["version"]["id"] == first.pk
