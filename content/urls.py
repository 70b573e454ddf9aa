"""API routes of the content app, mounted under /api/v1/: the staff workflow over drafts."""

from django.urls import path

from content import apis

urlpatterns = [
    path("staff/drafts", apis.DraftListApi.as_view(), name="api-staff-drafts"),
    path("staff/generation-jobs", apis.GenerationJobCreateApi.as_view(), name="api-staff-generation-jobs"),
    path("staff/drafts/<int:draft_id>/approve", apis.DraftApproveApi.as_view(), name="api-staff-draft-approve"),
    path("staff/drafts/<int:draft_id>/reject", apis.DraftRejectApi.as_view(), name="api-staff-draft-reject"),
    path("staff/drafts/<int:draft_id>/request-changes", apis.DraftRequestChangesApi.as_view(),
         name="api-staff-draft-request-changes"),
    path("staff/drafts/<int:draft_id>/publish", apis.DraftPublishApi.as_view(), name="api-staff-draft-publish"),
    path("staff/drafts/<int:draft_id>/approve-and-publish", apis.DraftApproveAndPublishApi.as_view(),
         name="api-staff-draft-approve-and-publish"),
]
