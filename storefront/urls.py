"""Storefront API routes, mounted under /api/v1/ (after the other apps' routes: see ``not_found``)."""

from django.urls import path, re_path

from ecomcms.api.views import not_found
from storefront import apis

urlpatterns = [
    path("products", apis.ProductListApi.as_view(), name="api-products"),
    path("products/<slug:slug>", apis.ProductDetailApi.as_view(), name="api-product"),
    path("categories", apis.CategoryListApi.as_view(), name="api-categories"),
    path("events", apis.EventsApi.as_view(), name="api-events"),
    # Last, and included last: any other /api/v1/ path is a JSON 404, not Django's HTML page.
    re_path(r"", not_found, name="api-not-found"),  # matches any rest of the path
]
