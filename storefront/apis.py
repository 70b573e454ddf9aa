"""The storefront REST API (/api/v1/): the shopper-facing catalogue and shopper events.

Thin doors: each view validates its input with a nested serializer, calls one
selector or service, and renders the result. Conventions (errors, limits, caching)
live in the API kit (``ecomcms.api``) and are described in docs/api.md. The staff
workflow over drafts is the content app's (``content.apis``).
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from content.models import CopyKind
from ecomcms.api.auth import token_of
from ecomcms.api.errors import error_responses, field_errors, validation_message
from ecomcms.api.http import ApiView, CatalogView, CursorPage, PageInput, Price, Text, page_schema, valid_input
from recommender.models import EventType
from storefront import catalog, selectors, services
from storefront.event_input import QuickEventValidator
from storefront.models import Scope

MAX_EVENTS = 500


# --- Catalog ----------------------------------------------------------------------------------

class ProductPage(CursorPage):
    ordering = "slug"
    position = re.compile(r"[-\w]{1,200}")


class CatalogueView(CatalogView):
    """Public reads of the catalogue: anonymous callers, or a token with the `catalog:read` scope."""

    required_scope = Scope.CATALOG_READ
    cache_prefix = catalog.CACHE_PREFIX

    def cache_generations(self) -> tuple:
        return catalog.generations()


@extend_schema_serializer(component_name="CopyExperiment")
class CopyExperimentOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The experiment.")
    variant = serializers.CharField(help_text="The variant this visitor sees: A, B or C.")
    key = serializers.CharField(help_text="Send it back as the `variant` of this visitor's events on the product.")


@extend_schema_serializer(component_name="Copy")
class CopyOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CopyKind.choices)
    variant = serializers.IntegerField(help_text="1, or 1 to 3 for kinds written in variants (ads, social posts).")
    text = serializers.CharField()
    published_at = serializers.DateTimeField()
    experiment = serializers.SerializerMethodField(
        help_text="Set when this text is a variant of a running A/B test shown to the `visitor` of the request.")

    @extend_schema_field(CopyExperimentOutput(allow_null=True))
    def get_experiment(self, copy) -> dict | None:
        return getattr(copy, "experiment_ref", None)


@extend_schema_serializer(component_name="Product")
class ProductOutput(serializers.Serializer):
    sku = serializers.CharField()
    slug = serializers.CharField()
    title = serializers.CharField()
    brand = serializers.CharField()
    category = serializers.CharField()
    attributes = serializers.DictField(help_text="Facts as key/value pairs: material, size, colour ...")
    price = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    stock = serializers.IntegerField()
    in_stock = serializers.SerializerMethodField()
    image_urls = serializers.ListField(child=serializers.CharField())
    updated_at = serializers.DateTimeField()
    copy = CopyOutput(many=True, source="current_copy",
                      help_text="The published copy of each kind and variant; text that is not published never "
                                "appears.")

    def get_in_stock(self, product) -> bool:
        return product.stock > 0


CATALOG_HEADERS = [
    OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER,
                     description="An ETag from an earlier response: 304 if the response is unchanged."),
    OpenApiParameter("If-Modified-Since", str, OpenApiParameter.HEADER,
                     description="An HTTP date: 304 if nothing shown changed since (ignored with If-None-Match)."),
    OpenApiParameter("ETag", str, OpenApiParameter.HEADER, response=[200, 304],
                     description="Hash of the response body."),
    OpenApiParameter("Last-Modified", str, OpenApiParameter.HEADER, response=[200, 304],
                     description="The latest change among the items shown."),
    OpenApiParameter("Cache-Control", str, OpenApiParameter.HEADER, response=[200, 304],
                     description="`public, max-age=<API_CACHE_MAX_AGE>`."),
]
SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$",
                        examples=[OpenApiExample("A product", value="blue-cotton-shirt")])
NOT_MODIFIED = OpenApiResponse(description="Not modified: the ETag or date sent still matches. No body.")


class ProductListApi(CatalogueView):
    """Active products, ordered by slug, with their published copy.

    No token needed. Follow `next` for more; `page_size` is 1 to 100. All filters
    combine. Catalog reads carry an ETag, Last-Modified and Cache-Control, and
    answer 304 to a matching If-None-Match or If-Modified-Since.
    """

    class FilterInput(PageInput):
        category = Text(required=False, allow_blank=True, max_length=120,
                        help_text="Exact category, as listed by /categories.")
        brand = Text(required=False, allow_blank=True, max_length=120, help_text="Exact brand.")
        price_min = Price(required=False)
        price_max = Price(required=False)
        in_stock = serializers.BooleanField(required=False, help_text="true: stock above zero; false: sold out.")
        updated_since = serializers.DateTimeField(required=False, help_text="Products changed at or after this time.")
        search = Text(required=False, allow_blank=True, max_length=200,
                      help_text="Words that must all appear in the title, brand, category or equal the SKU.")

        def validate(self, data):
            if data.get("price_min") is not None and data.get("price_max") is not None \
                    and data["price_min"] > data["price_max"]:
                raise ValidationError({"price_max": ["Must not be below price_min."]})
            return data

    def cache_key(self, request, *args, **kwargs) -> str:
        # Cached by the whole URL (its links name the host and the query); a hit skips even the validation.
        return request.build_absolute_uri()

    @extend_schema(
        operation_id="products_list", tags=["catalog"], parameters=[FilterInput, *CATALOG_HEADERS],
        responses={200: page_schema("ProductPage", ProductOutput), 304: NOT_MODIFIED,
                   **error_responses(400, 401, 403)},
        summary="List products",
    )
    def get(self, request):
        return catalog.response_of(self.cached(self.cache_key(request), lambda: self.page(request)))

    def page(self, request) -> catalog.Body:
        filters = valid_input(self.FilterInput, request.query_params.dict())
        filters.pop("cursor", None)
        filters.pop("page_size", None)
        paginator = ProductPage()
        rows = paginator.paginate_queryset(selectors.catalog_product_rows(**filters), request, view=self)
        return catalog.products_body(rows, lambda results: {
            "next": paginator.get_next_link(), "previous": paginator.get_previous_link(), "results": results})


class ProductDetailApi(CatalogueView):
    """One active product by slug, with the published copy of each kind and variant.

    No token needed. Archived products and text that is not published do not appear.
    """

    class DetailInput(serializers.Serializer):
        visitor = Text(required=False, max_length=100,
                       help_text="The visitor's session id (the `session_id` of their events): where an A/B test of "
                                 "the copy runs, the visitor gets their variant, always the same one.")

    def cache_key(self, request, slug=None, **kwargs) -> str | None:
        # Served as stored only without a query (a `visitor` may get another variant of the copy).
        return None if request.META.get("QUERY_STRING") else f"product/{slug}"

    @extend_schema(
        operation_id="products_retrieve", tags=["catalog"], parameters=[SLUG, DetailInput, *CATALOG_HEADERS],
        responses={200: ProductOutput, 304: NOT_MODIFIED, **error_responses(400, 401, 403, 404)},
        summary="Get a product",
    )
    def get(self, request, slug):
        visitor = valid_input(self.DetailInput, request.query_params.dict()).get("visitor")
        body = self.cached(f"product/{slug}", lambda: self.product(slug))
        return catalog.response_of(catalog.for_visitor(body, visitor))

    def product(self, slug: str) -> catalog.Body:
        row = selectors.catalog_product_row(slug=slug)
        if row is None:
            raise NotFound("No active product has this slug.")
        return catalog.product_body(row)


class CategoryListApi(CatalogueView):
    """Every category that has active products, by name, with how many it has. No token needed."""

    @extend_schema_serializer(component_name="Category")
    class CategoryOutput(serializers.Serializer):
        name = serializers.CharField(source="category")
        products = serializers.IntegerField(help_text="How many active products it has.")

    def cache_key(self, request, *args, **kwargs) -> str:
        return "categories"

    @extend_schema(
        operation_id="categories_list", tags=["catalog"], parameters=CATALOG_HEADERS,
        responses={200: inline_serializer("CategoryList", {"results": CategoryOutput(many=True)}),
                   304: NOT_MODIFIED, **error_responses(401, 403)},
        summary="List categories",
    )
    def get(self, request):
        return catalog.response_of(self.cached("categories", self.categories))

    def categories(self) -> catalog.Body:
        categories = list(selectors.catalog_categories())
        return catalog.body_of({"results": [{"name": c["category"], "products": c["products"]} for c in categories]},
                               [c["updated_at"] for c in categories])


# --- Events -----------------------------------------------------------------------------------

@extend_schema_serializer(component_name="EventRejection")
class EventRejectionOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the event in the request's `events`.")
    id = serializers.CharField(allow_null=True, help_text="The event's id, when it had a valid one.")
    code = serializers.CharField(help_text="`validation_error` or `unknown_product`.")
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,
                                   help_text="Messages by field.")


@extend_schema_serializer(component_name="EventsResult")
class EventsOutput(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events stored by this request.")
    duplicates = serializers.IntegerField(help_text="Events whose id was already stored (a retry): nothing added.")
    rejected = EventRejectionOutput(many=True, help_text="Events not stored, and why; the others were stored.")


class EventsApi(ApiView):
    """Record a batch of shopper events (token scope `events:write`).

    Each event carries your `id`: an id already stored for this token is counted
    as a duplicate and not stored again, so a batch can be retried safely. Valid
    events are stored even when others in the batch are rejected; `rejected` says
    which (by index) and why. An event with both `session_id` and `customer_id`
    attributes the session's earlier events to that customer.
    """

    required_scope = Scope.EVENTS_WRITE

    class EventInput(serializers.Serializer):
        id = Text(max_length=100, help_text="Your id for the event, unique per token: a retried event is stored once.")
        type = serializers.ChoiceField(choices=EventType.choices)
        product = Text(required=False, max_length=200,
                       help_text="SKU or slug; required except for `search`.")
        query = Text(required=False, max_length=300, help_text="The search text; required for `search`.")
        session_id = Text(max_length=100, help_text="The anonymous visitor's session.")
        customer_id = Text(required=False, allow_blank=True, max_length=100,
                           help_text="The customer, when known: the session's earlier events are attributed to them.")
        order_id = Text(required=False, allow_blank=True, max_length=100, help_text="For purchases.")
        quantity = serializers.IntegerField(required=False, default=1, min_value=-1_000_000, max_value=1_000_000,
                                            help_text="Units; negative on a purchase for a cancellation or return.")
        price = Price(required=False, allow_null=True, help_text="Unit price, for cart and purchase events.")
        occurred_at = serializers.DateTimeField(help_text="When it happened, ISO 8601 with a time zone.")
        variant = serializers.RegexField(
            r"^[0-9]{1,10}:[ABC]$", required=False, allow_blank=True, max_length=40,
            help_text="The `experiment.key` of the copy the shopper saw (product detail with `visitor`), e.g. `3:B`.")

        def validate(self, data):
            if data["type"] == EventType.SEARCH and not data.get("query"):
                raise ValidationError({"query": ["Required for search events."]})
            if data["type"] != EventType.SEARCH and not data.get("product"):
                raise ValidationError({"product": [f"Required for {data['type']} events."]})
            if data["quantity"] == 0 or (data["quantity"] < 0 and data["type"] != EventType.PURCHASE):
                raise ValidationError({"quantity": ["Must be positive (negative only on a purchase: a return)."]})
            if data["occurred_at"] > timezone.now() + timedelta(days=1):
                raise ValidationError({"occurred_at": ["More than a day in the future."]})
            return data

    class BatchInput(serializers.Serializer):
        # Items are validated one by one below, so one bad event does not refuse the batch.
        events = serializers.ListField(min_length=1, max_length=MAX_EVENTS)

    _quick: QuickEventValidator | None = None

    @classmethod
    def event_validator(cls) -> QuickEventValidator:
        """One validator (and ``EventInput`` serializer) per process: building a serializer's fields is costly."""
        if cls._quick is None:
            cls._quick = QuickEventValidator(cls.EventInput())
        return cls._quick.batch()

    @extend_schema(
        operation_id="events_create", tags=["events"],
        request=inline_serializer("EventBatch", {
            "events": serializers.ListField(child=EventInput(), min_length=1, max_length=MAX_EVENTS),
        }),
        responses={200: EventsOutput, **error_responses(400, 401, 403, 413, 415)},
        summary=f"Record up to {MAX_EVENTS} events",
        examples=[OpenApiExample("A view and a purchase", request_only=True, value={"events": [
            {"id": "e-1", "type": "view", "product": "SKU-1", "session_id": "s-9",
             "occurred_at": "2026-05-01T10:00:00Z"},
            {"id": "e-2", "type": "purchase", "product": "SKU-1", "session_id": "s-9", "customer_id": "c-4",
             "order_id": "o-77", "quantity": 1, "price": "19.90", "occurred_at": "2026-05-01T10:05:00Z"},
        ]})],
    )
    def post(self, request):
        events = request.data.get("events") if type(request.data) is dict else None
        if type(events) is list and 1 <= len(events) <= MAX_EVENTS:
            batch = events  # what BatchInput returns for it, without the serializer's pass over every item
        else:
            batch = valid_input(self.BatchInput, request.data)["events"]  # its errors, as documented
        quick = self.event_validator()
        validator = quick.serializer
        valid, rejected = [], []
        for index, item in enumerate(batch):
            data = quick(item)  # the common shapes, checked directly; anything else by the serializer
            if data is not None:
                valid.append((index, data))
                continue
            try:
                valid.append((index, validator.run_validation(item)))
            except ValidationError as exc:
                event_id = item.get("id") if isinstance(item, dict) and "id" not in exc.detail else None
                fields = field_errors(exc.detail)
                rejected.append(services.Rejection(index, event_id, "validation_error", validation_message(fields),
                                                   fields))
        result = services.events_record(source=token_of(request).event_source, events=valid)
        result.rejected = sorted(rejected + result.rejected, key=lambda rejection: rejection.index)
        return Response(EventsOutput(result).data)
