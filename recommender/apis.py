"""Recommendations in the storefront API (/api/v1/recommendations/...).

Thin doors onto ``recommender.services``: validate the query, call one service,
render. The API kit's conventions apply (``ecomcms.api.http.ApiView``): JSON
errors with stable codes, tokens with scopes, throttles. The customer and session
endpoints reveal what a shopper viewed and bought (the reasons name those products,
and a session may belong to a known customer), so they need a token with the
``recommendations:read`` scope; the product endpoints also answer anonymous callers.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError

from ecomcms.api.cache import Body, body_of, render, response_of, timestamp
from ecomcms.api.errors import error_responses
from ecomcms.api.http import ApiView, CatalogView, Text
from recommender import selectors, services
from recommender.generation import list_generations
from storefront.models import Scope

SCOPE = Scope.RECOMMENDATIONS_READ
MAX_EXCLUDE = 100
TAGS = ["recommendations"]
CACHE_PREFIX = "recommendations"


class RecommendationsInput(serializers.Serializer):
    n = serializers.IntegerField(required=False, default=10, min_value=1, max_value=services.MAX_RESULTS,
                                 help_text=f"How many products, 1 to {services.MAX_RESULTS} (default 10).")
    exclude = Text(required=False, allow_blank=True, max_length=5000,
                   help_text=f"Comma-separated SKUs or slugs never to show (at most {MAX_EXCLUDE}), e.g. the cart.")
    category = Text(required=False, allow_blank=True, max_length=120, help_text="Only products of this category.")
    per_category = serializers.IntegerField(required=False, min_value=1, max_value=services.MAX_RESULTS,
                                            help_text="At most this many products of one category (default: the "
                                                      "shop setting).")
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="Serve from this trained version instead of the active one "
                                                 "(A/B tests); the response says which version answered.")

    def validate_exclude(self, value: str) -> list[str]:
        references = list(dict.fromkeys(ref.strip() for ref in value.split(",") if ref.strip()))
        if len(references) > MAX_EXCLUDE:
            raise ValidationError(f"At most {MAX_EXCLUDE} products, got {len(references)}.")
        return references


@extend_schema_serializer(component_name="RecommendedProduct")
class ProductOutput(serializers.Serializer):
    sku = serializers.CharField()
    slug = serializers.CharField()
    title = serializers.CharField()
    brand = serializers.CharField()
    category = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    image_urls = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(component_name="RecommendationReason")
class ReasonOutput(serializers.Serializer):
    kind = serializers.CharField(help_text="`bought_with`, `similar_to`, `popular`, `bought_before`, "
                                           "`customers_like_you` or `featured` (pinned by the shop).")
    text = serializers.CharField(help_text='For people: "bought with X", "similar to Y", "popular in Z".')
    product = serializers.SerializerMethodField(help_text="The product the reason names (its slug), if any.")
    category = serializers.CharField(help_text="The category a `popular` reason names; empty otherwise.")

    def get_product(self, reason) -> str | None:
        return reason.product.slug if reason.product else None


@extend_schema_serializer(component_name="Recommendation")
class RecommendationOutput(serializers.Serializer):
    product = ProductOutput()
    score = serializers.FloatField(help_text="Higher is better; the list's best candidate scores about 1 before "
                                             "the shop's boosts and buries. Compare within one response only.")
    reason = ReasonOutput()


@extend_schema_serializer(component_name="RecommenderVersion")
class VersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    trained_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="Recommendations")
class RecommendationsOutput(serializers.Serializer):
    version = VersionOutput(allow_null=True, help_text="The trained version that answered; null (and no results) "
                                                       "until one is active.")
    results = RecommendationOutput(many=True, source="items")


CENTS = Decimal("0.01")


def recommendations_payload(recommendations: services.Recommendations) -> dict:
    """``RecommendationsOutput(recommendations).data`` built directly (the same JSON; a test holds the two equal).

    DRF's nested serializers were the largest part of a customer or session list after its queries
    (docs/performance.md); rendered with orjson (``ecomcms.api.cache.render``).
    """
    version = recommendations.version
    return {
        "version": None if version is None else {
            "id": version.pk, "name": version.name,
            "trained_at": timestamp(version.trained_at) if version.trained_at else None},
        "results": [_recommendation_item(item) for item in recommendations.items],
    }


def _recommendation_item(item: services.Recommendation) -> dict:
    product, reason = item.product, item.reason
    return {
        "product": {
            "sku": product.sku, "slug": product.slug, "title": product.title, "brand": product.brand,
            "category": product.category,
            "price": None if product.price is None else f"{Decimal(product.price).quantize(CENTS):f}",
            "currency": product.currency, "image_urls": [str(url) for url in product.image_urls]},
        "score": float(item.score),
        "reason": {"kind": reason.kind, "text": reason.text,
                   "product": reason.product.slug if reason.product else None, "category": reason.category},
    }


@functools.cache
def _no_query() -> dict:
    """``RecommendationsInput``'s validated data for a request without a query (the defaults), validated once:
    building the serializer's fields for every request was a tenth of a session list (docs/performance.md)."""
    serializer = RecommendationsInput(data={})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class _RecommendationsView:
    """Shared by the four endpoints: read the query, pick the version, render."""

    def query(self, request) -> dict:
        if request.META.get("QUERY_STRING"):
            serializer = RecommendationsInput(data=request.query_params.dict())
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
        else:  # most requests send no query: its validated form is always the same
            data = dict(_no_query())
        version_id = data.pop("version", None)
        if version_id is not None:
            data["version"] = selectors.version_servable(version_id)
            if data["version"] is None:
                raise NotFound("No trained version with this id can serve.")
        data["exclude"] = data.get("exclude") or []
        return data

    def product(self, slug: str):
        product = selectors.product_active(slug=slug)
        if product is None:
            raise NotFound("No active product has this slug.")
        return product

    def render(self, recommendations: services.Recommendations) -> HttpResponse:
        return HttpResponse(render(recommendations_payload(recommendations)), content_type="application/json")

    def cached_list(self, request, recommend) -> HttpResponse:
        """A product's list (``recommend()``) from the cache while nothing it depends on changed.

        Filed under the URL, the catalogue's and the recommender's generations
        (``recommender.generation``), and valid until the next start or end of a rule.
        """
        def build() -> Body:
            change = selectors.rules_next_change(timezone.now())  # before the rules are read
            content = render(recommendations_payload(recommend()))
            body = body_of(None, content=content)
            body.valid_until = change.timestamp() if change else None
            return body

        return response_of(self.cached(self.cache_key(request), build))

    # The product lists' cache (CatalogView): anonymous hits are served before DRF's request handling.
    cache_prefix = CACHE_PREFIX

    def cache_key(self, request, *args, **kwargs) -> str:
        return request.build_absolute_uri()

    def cache_generations(self) -> tuple:
        return list_generations()


def _schema(operation_id: str, summary: str, path_parameter: OpenApiParameter, *errors: int):
    return extend_schema(
        operation_id=operation_id, tags=TAGS, summary=summary, parameters=[path_parameter, RecommendationsInput],
        responses={200: RecommendationsOutput, **error_responses(400, *errors)},
    )


CUSTOMER_ID = OpenApiParameter("customer_id", str, OpenApiParameter.PATH, description="The shop's customer id.")
SESSION_ID = OpenApiParameter("session_id", str, OpenApiParameter.PATH, description="The visitor's session id, as "
                              "sent with events.")
SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The product's slug.")


class CustomerRecommendationsApi(_RecommendationsView, ApiView):
    """Products for a customer, from their purchases (token scope `recommendations:read`).

    The blend of repeat purchases, similar items, collaborative filtering and
    trending products. A customer with no purchases gets what is popular now.
    When the shop excludes purchases (a shop setting), nothing they bought is shown.
    Only active, in-stock products with published copy appear.
    """

    required_scope = SCOPE

    @_schema("recommendations_customer", "Recommendations for a customer", CUSTOMER_ID, 401, 403, 404)
    def get(self, request, customer_id: str):
        return self.render(services.recommend_for_customer(customer_id=customer_id, **self.query(request)))


class SessionRecommendationsApi(_RecommendationsView, ApiView):
    """Products for a visitor's session: like what they viewed and carted (token scope `recommendations:read`).

    The latest products weigh most. A session without events gets what is popular
    now; the session's own products are not shown. The reasons name what the
    session viewed or bought, so, like the customer endpoint, this needs the
    storefront's token: call it from your server, not from the shopper's browser.
    """

    required_scope = SCOPE

    @_schema("recommendations_session", "Recommendations for a session", SESSION_ID, 401, 403, 404)
    def get(self, request, session_id: str):
        return self.render(services.recommend_for_session(session_id=session_id, **self.query(request)))


class SimilarProductsApi(_RecommendationsView, CatalogView):
    """Products similar to one product: bought by the same customers, or described alike. No token needed.

    A product nobody has bought yet is matched by its description; one added
    after the last training gets what is popular in its category.
    """

    required_scope = SCOPE

    @_schema("recommendations_similar", "Products similar to a product", SLUG, 401, 403, 404)
    def get(self, request, slug: str):
        return self.cached_list(request, lambda: services.recommend_similar(product=self.product(slug),
                                                                              **self.query(request)))


class BoughtTogetherApi(_RecommendationsView, CatalogView):
    """Products bought on the same orders as one product more often than chance. No token needed.

    When few orders link the product, similar products and then popular ones fill the list.
    """

    required_scope = SCOPE

    @_schema("recommendations_bought_together", "Products bought with a product", SLUG, 401, 403, 404)
    def get(self, request, slug: str):
        return self.cached_list(request, lambda: services.recommend_bought_together(product=self.product(slug),
                                                                                      **self.query(request)))
