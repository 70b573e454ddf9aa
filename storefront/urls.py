"""Storefront API routes, mounted under /api/v1/ (after the other apps' routes: see ``not_found``)."""

from django.urls import path, re_path

from storefront import apis

urlpatterns = [
    path("products", apis.ProductListApi.as_view(), name="api-products"),
    path("products/<slug:slug>", apis.ProductDetailApi.as_view(), name="api-product"),
    path("categories", apis.CategoryListApi.as_view(), name="api-categories"),
    path("events", apis.EventsApi.as_view(), name="api-events"),
    path("staff/drafts", apis.DraftListApi.as_view(), name="api-staff-drafts"),
    path("staff/generation-jobs", apis.GenerationJobCreateApi.as_view(), name="api-staff-generation-jobs"),
    path("staff/drafts/<int:draft_id>/approve", apis.DraftApproveApi.as_view(), name="api-staff-draft-approve"),
    path("staff/drafts/<int:draft_id>/reject", apis.DraftRejectApi.as_view(), name="api-staff-draft-reject"),
    path("staff/drafts/<int:draft_id>/request-changes", apis.DraftRequestChangesApi.as_view(),
         name="api-staff-draft-request-changes"),
    path("staff/drafts/<int:draft_id>/publish", apis.DraftPublishApi.as_view(), name="api-staff-draft-publish"),
    path("staff/drafts/<int:draft_id>/approve-and-publish", apis.DraftApproveAndPublishApi.as_view(),
         name="api-staff-draft-approve-and-publish"),
    # Last, and included last: any other /api/v1/ path is a JSON 404, not Django's HTML page.
    re_path(r"", apis.not_found, name="api-not-found"),  # matches any rest of the path
]
