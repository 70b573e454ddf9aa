"""The recommendations API: status codes, auth on the customer endpoint, reasons, what may be shown."""

import pytest
import yaml
from rest_framework.test import APIClient

from recommender import services
from recommender.models import ShopSetting
from tests.recommender.factories import recommendations_token, train, view

pytestmark = pytest.mark.django_db

BASE = "/api/v1/recommendations"
NEVER_SHOWN = {"sold-out", "archived", "unpublished"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def shop(api):
    """A client with a token that may read recommendations."""
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {recommendations_token('recommendations:read')}")
    return api


def slugs(response) -> list[str]:
    return [item["product"]["slug"] for item in response.json()["results"]]


# --- The customer endpoint reveals purchases: token with the scope only ---------------------------

def test_the_customer_endpoint_needs_a_token(api, catalogue):
    train()

    response = api.get(f"{BASE}/customer/alice")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert "recommendations:read" in response.json()["error"]["message"]


def test_the_customer_endpoint_needs_the_recommendations_scope(api, catalogue):
    train()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {recommendations_token('catalog:read', 'events:write')}")

    response = api.get(f"{BASE}/customer/alice")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


# --- The session endpoint too: a session's views, carts and purchases are the shopper's (issue 13) ---------

def test_the_session_endpoint_needs_a_token_with_the_recommendations_scope(api, catalogue):
    train()
    view("s-1", [catalogue["scarf"]])

    anonymous = api.get(f"{BASE}/session/s-1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {recommendations_token('catalog:read', 'events:write')}")
    unscoped = api.get(f"{BASE}/session/s-1")

    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert "recommendations:read" in anonymous.json()["error"]["message"]
    assert unscoped.status_code == 403
    assert unscoped.json()["error"]["code"] == "insufficient_scope"
    assert "scarf" not in anonymous.content.decode() + unscoped.content.decode()


def test_a_revoked_or_unknown_token_is_refused(api, catalogue):
    api.credentials(HTTP_AUTHORIZATION="Bearer sf_not-a-token")

    assert api.get(f"{BASE}/customer/alice").status_code == 401


def test_a_customer_gets_products_with_scores_and_reasons(shop, catalogue):
    version = train()

    response = shop.get(f"{BASE}/customer/alice", {"n": 3})

    assert response.status_code == 200
    body = response.json()
    assert body["version"]["id"] == version.pk
    assert len(body["results"]) == 3
    first = body["results"][0]
    assert set(first) == {"product", "score", "reason"}
    assert set(first["product"]) == {"sku", "slug", "title", "brand", "category", "price", "currency", "image_urls"}
    assert set(first["reason"]) == {"kind", "text", "product", "category"}
    assert all(item["reason"]["text"] for item in body["results"])
    assert "mug" not in slugs(response)  # alice bought it; the shop excludes purchases by default


# --- Public endpoints ---------------------------------------------------------------------------------

def test_similar_and_bought_together_answer_anonymous_callers_with_reasons(api, catalogue):
    train()

    similar = api.get(f"{BASE}/products/tee/similar", {"n": 1})
    together = api.get(f"{BASE}/products/mug/bought-together", {"n": 1})

    assert similar.status_code == together.status_code == 200
    assert similar.json()["results"][0]["reason"] == {"kind": "similar_to", "text": "similar to Tee", "product": "tee",
                                                      "category": ""}
    assert together.json()["results"][0]["product"]["slug"] == "tea"
    assert together.json()["results"][0]["reason"]["text"] == "bought with Mug"
    assert "ETag" in similar and "public" in similar["Cache-Control"]


def test_a_session_gets_products_like_its_views(shop, catalogue):
    train()
    view("s-1", [catalogue["scarf"]])

    response = shop.get(f"{BASE}/session/s-1")

    assert response.status_code == 200
    assert slugs(response)[0] == "hat"
    assert "scarf" not in slugs(response)


@pytest.mark.parametrize("url", ["customer/k0", "session/s-1", "products/mug/similar", "products/mug/bought-together"])
def test_no_endpoint_shows_archived_sold_out_or_unpublished_products(shop, catalogue, url, repeat_shop):
    train()
    view("s-1", [catalogue["tea"]])

    response = shop.get(f"{BASE}/{url}", {"n": 50})

    assert response.status_code == 200
    assert slugs(response)
    assert not NEVER_SHOWN & set(slugs(response))


def test_exclude_category_and_per_category_apply(shop, catalogue):
    train()

    response = shop.get(f"{BASE}/session/new", {"n": 50, "exclude": "TEA, pot,,", "per_category": 2})
    shirts = shop.get(f"{BASE}/session/new", {"n": 50, "category": "shirts"})

    assert not {"tea", "pot"} & set(slugs(response))
    categories = [item["product"]["category"] for item in response.json()["results"]]
    assert max(categories.count(c) for c in set(categories)) == 2
    assert sorted(slugs(shirts)) == ["polo", "shirt", "tee"]


def test_an_unknown_or_archived_product_is_a_404(api, catalogue):
    train()

    for slug in ("no-such-product", "archived"):
        response = api.get(f"{BASE}/products/{slug}/similar")
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "No active product has this slug."}}


@pytest.mark.parametrize("query, field", [
    ({"n": 0}, "n"), ({"n": 51}, "n"), ({"n": "ten"}, "n"), ({"per_category": 0}, "per_category"),
    ({"exclude": ",".join(f"sku-{i}" for i in range(101))}, "exclude"), ({"version": "x"}, "version"),
])
def test_bad_parameters_are_a_400_naming_the_parameter(api, catalogue, query, field):
    train()

    response = api.get(f"{BASE}/products/mug/similar", query)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert error["message"].startswith(f"Invalid input. {field}: ")


def test_a_version_can_be_served_by_id_for_ab_tests(api, catalogue):
    first = train()
    train()

    response = api.get(f"{BASE}/products/mug/similar", {"version": first.pk})
    missing = api.get(f"{BASE}/products/mug/similar", {"version": 999999})

    assert response.json()["version"]["id"] == first.pk
    assert missing.status_code == 404


def test_before_any_training_the_lists_are_empty(shop, catalogue):
    response = shop.get(f"{BASE}/session/s-1")

    assert response.status_code == 200
    assert response.json() == {"version": None, "results": []}


def test_serving_does_not_train_or_embed(shop, catalogue, monkeypatch):
    train()

    def refuse(*args, **kwargs):
        raise AssertionError("a request must not train")

    for module in (services, services.training):  # the package and the module that defines it
        monkeypatch.setattr(module, "model_train", refuse)
    from ecomcms import inference

    monkeypatch.setattr(inference, "get_embedder", refuse)

    assert shop.get(f"{BASE}/products/mug/similar").status_code == 200
    assert shop.get(f"{BASE}/session/s-1").status_code == 200


def test_a_request_costs_a_fixed_number_of_queries(api, catalogue, django_assert_max_num_queries):
    train()
    view("s-1", [catalogue["scarf"], catalogue["tee"]])
    ShopSetting.load()
    token = recommendations_token("recommendations:read")

    # token (and its first use), the generations, setting, version, session events, rules, eligible products,
    # anchors
    with django_assert_max_num_queries(9):
        first = api.get(f"{BASE}/session/s-1", {"n": 5}, HTTP_AUTHORIZATION=f"Bearer {token}")
    # then this process remembers setting, version, rules, eligibility and anchors until a generation changes:
    # token, the generations, session events
    with django_assert_max_num_queries(3):
        again = api.get(f"{BASE}/session/s-1", {"n": 5}, HTTP_AUTHORIZATION=f"Bearer {token}")
    # token, the generations, eligible products and anchors not seen yet, the customer's purchases (bought filter)
    with django_assert_max_num_queries(5):
        assert api.get(f"{BASE}/customer/k1", {"n": 5}, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    with django_assert_max_num_queries(3):
        assert api.get(f"{BASE}/customer/k1", {"n": 5}, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    assert first.status_code == again.status_code == 200
    assert again.content == first.content


def test_the_schema_documents_the_endpoints_and_their_errors(api):
    schema = yaml.safe_load(api.get("/api/schema/").content)

    paths = {path: methods for path, methods in schema["paths"].items() if path.startswith(BASE)}
    assert set(paths) == {f"{BASE}/customer/{{customer_id}}", f"{BASE}/session/{{session_id}}",
                          f"{BASE}/products/{{slug}}/similar", f"{BASE}/products/{{slug}}/bought-together"}
    for path, methods in paths.items():
        responses = methods["get"]["responses"]
        assert {"200", "400", "404", "406", "429"} <= set(responses), path
        assert {p["name"] for p in methods["get"]["parameters"]} >= {"n", "exclude", "category", "per_category"}
    customer = paths[f"{BASE}/customer/{{customer_id}}"]["get"]
    assert {} not in customer["security"]  # no anonymous access


@pytest.mark.parametrize("endpoint", ["customer", "session", "similar", "bought-together"])
def test_the_lists_json_is_the_documented_serializers(catalogue, endpoint):
    """The lists are built without DRF's serializers (a profile, docs/performance.md): the same JSON as them."""
    import json

    from recommender.apis import RecommendationsOutput, recommendations_payload
    from recommender.models import MerchandisingRule, RuleAction, RuleContext

    train()
    view("s-1", [catalogue["scarf"], catalogue["tee"]])
    MerchandisingRule.objects.create(context=RuleContext.ALL, action=RuleAction.PIN,
                                     product=catalogue["pot"], position=2, is_active=True)
    catalogue["tea"].price = None
    catalogue["tea"].image_urls = ["https://img.example/tea.jpg"]
    catalogue["tea"].save()
    recommendations = {
        "customer": lambda: services.recommend_for_customer(customer_id="k1", n=10),
        "session": lambda: services.recommend_for_session(session_id="s-1", n=10),
        "similar": lambda: services.recommend_similar(product=catalogue["tee"], n=10),
        "bought-together": lambda: services.recommend_bought_together(product=catalogue["mug"], n=10),
    }[endpoint]()

    assert recommendations.items
    assert json.loads(render_payload(recommendations_payload(recommendations))) == \
        json.loads(json.dumps(RecommendationsOutput(recommendations).data))


def render_payload(payload) -> bytes:
    from ecomcms.api.cache import render

    return render(payload)


def test_a_customers_purchases_are_the_orm_aggregate(catalogue):
    """``customer_purchases`` is hand-written SQL (a profile): the same rows as the ORM's aggregate."""
    from django.db.models import Count, Sum

    from recommender.models import Event, EventType
    from recommender.selectors import customer_purchases
    from tests.recommender.factories import buy

    buy("k1", "R1", [catalogue["mug"]], quantity=-1)  # a return of one of their two mugs
    buy("k1", "R2", [catalogue["hat"]], quantity=2)
    buy("k1", "R3", [catalogue["hat"]])
    expected = {row["product"]: max(row["orders"], 1) for row in (
        Event.objects.filter(customer_id="k1", type=EventType.PURCHASE, product__isnull=False)
        .values("product").annotate(net=Sum("quantity"), orders=Count("order_id", distinct=True))
        .filter(net__gt=0).order_by())}

    assert customer_purchases("k1") == expected
    assert expected[catalogue["hat"].pk] == 2
    assert catalogue["pot"].pk in expected
    assert customer_purchases("nobody") == {}
