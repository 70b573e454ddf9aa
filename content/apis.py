"""The content API for staff (/api/v1/staff/...): the editorial workflow over HTTP.

Editors and writers signed in to the admin list drafts, request AI drafts, and move drafts
through review and publication, through the same services and permissions as the admin.
Thin doors: each view validates its input with a nested serializer, calls one selector or
service, and renders the result. Conventions (errors, limits, pages) are the API kit's
(``ecomcms.api``), described in docs/api.md.
"""

from __future__ import annotations

import re

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from content import selectors, services
from content.models import CopyKind, Draft, DraftStatus
from ecomcms.api.errors import error_responses
from ecomcms.api.http import ApiView, CursorPage, PageInput, Text, page_schema, valid_input


class DraftPage(CursorPage):
    ordering = "-pk"
    position = re.compile(r"\d{1,18}")


class StaffView(ApiView):
    """Editors and writers, signed in to the admin (session cookie, CSRF token on writes).

    The content services check each permission themselves, as they do for the admin.
    """

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]


@extend_schema_serializer(component_name="DraftProduct")
class DraftProductOutput(serializers.Serializer):
    sku = serializers.CharField()
    slug = serializers.CharField()
    title = serializers.CharField()


@extend_schema_serializer(component_name="Draft")
class DraftOutput(serializers.Serializer):
    id = serializers.IntegerField()
    product = DraftProductOutput()
    kind = serializers.ChoiceField(choices=CopyKind.choices)
    variant = serializers.IntegerField()
    status = serializers.ChoiceField(choices=DraftStatus.choices)
    ai_text = serializers.CharField(help_text="What the model wrote. Not published until an editor publishes it.")
    editor_text = serializers.CharField(help_text="The editor's version; empty means the AI text as is.")
    text = serializers.CharField(help_text="The text that would be published.")
    checks = serializers.ListField(child=serializers.DictField())
    checks_passed = serializers.BooleanField(allow_null=True)
    failure_reason = serializers.CharField()
    generated_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    publish_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="PublishedCopy")
class PublishedCopyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    draft = serializers.IntegerField(source="draft_id")
    product = serializers.CharField(source="product.sku", help_text="SKU")
    kind = serializers.ChoiceField(choices=CopyKind.choices)
    variant = serializers.IntegerField()
    text = serializers.CharField()
    published_at = serializers.DateTimeField()


STAFF_TAGS = ["staff"]


class DraftListApi(StaffView):
    """Drafts, newest first, for editors and writers (permission: view draft)."""

    class FilterInput(PageInput):
        status = serializers.ChoiceField(required=False, choices=DraftStatus.choices)
        kind = serializers.ChoiceField(required=False, choices=CopyKind.choices)
        product = Text(required=False, max_length=200, help_text="SKU or slug.")

    @extend_schema(
        operation_id="staff_drafts_list", tags=STAFF_TAGS, parameters=[FilterInput],
        responses={200: page_schema("DraftPage", DraftOutput), **error_responses(400, 403)},
        summary="List drafts",
    )
    def get(self, request):
        if not request.user.has_perm("ecomcms_content.view_draft"):
            raise PermissionDenied("You may not view drafts.")
        filters = valid_input(self.FilterInput, request.query_params.dict())
        filters.pop("cursor", None)
        filters.pop("page_size", None)
        paginator = DraftPage()
        drafts = paginator.paginate_queryset(selectors.drafts_for_staff(**filters), request, view=self)
        return paginator.get_paginated_response(DraftOutput(drafts, many=True).data)


class GenerationJobCreateApi(StaffView):
    """Queue AI drafts of one kind for some products (permission: request generation).

    Products with a draft of that kind already on its way are skipped.
    """

    class GenerationJobInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=CopyKind.choices)
        products = serializers.ListField(child=Text(max_length=200), min_length=1, max_length=1000,
                                         help_text="SKUs or slugs.")
        due_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Review deadline.")

    @extend_schema_serializer(component_name="GenerationJob")
    class GenerationJobOutput(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.ChoiceField(choices=CopyKind.choices)
        total = serializers.IntegerField(help_text="Drafts queued (products with one already on its way are skipped).")
        created_at = serializers.DateTimeField()

    @extend_schema(
        operation_id="staff_generation_jobs_create", tags=STAFF_TAGS, request=GenerationJobInput,
        responses={201: GenerationJobOutput, **error_responses(400, 403, 413, 415)},
        summary="Request AI drafts",
    )
    def post(self, request):
        data = valid_input(self.GenerationJobInput, request.data)
        references = set(data["products"])
        product_ids = selectors.products_by_reference(references)
        unknown = sorted(references - set(product_ids))
        if unknown:
            raise ValidationError({"products": [f"Unknown products: {', '.join(unknown[:20])}"]})
        job = services.drafts_request(
            products=selectors.products_by_ids(set(product_ids.values())), kind=data["kind"], actor=request.user,
            description=f"API request: {len(product_ids)} products", due_at=data.get("due_at"),
        )
        return Response(self.GenerationJobOutput(job).data, status=status.HTTP_201_CREATED)


DRAFT_ID = OpenApiParameter("draft_id", int, OpenApiParameter.PATH)
TRANSITION_ERRORS = error_responses(400, 403, 404, 409, 413, 415)


def _draft(draft_id: int) -> Draft:
    return get_object_or_404(Draft, pk=draft_id)


class DraftApproveApi(StaffView):
    """Approve a draft in review (permission: review draft)."""

    class ApproveInput(serializers.Serializer):
        comment = Text(required=False, allow_blank=True, max_length=2000)

    @extend_schema(operation_id="staff_drafts_approve", tags=STAFF_TAGS, parameters=[DRAFT_ID], request=ApproveInput,
                   responses={200: DraftOutput, **TRANSITION_ERRORS}, summary="Approve a draft")
    def post(self, request, draft_id):
        data = valid_input(self.ApproveInput, request.data)
        draft = services.draft_approve(draft=_draft(draft_id), actor=request.user, **data)
        return Response(DraftOutput(draft).data)


class DraftRejectApi(StaffView):
    """Reject a draft in review, with a reason (permission: review draft)."""

    class RejectInput(serializers.Serializer):
        reason = Text(max_length=2000)

    @extend_schema(operation_id="staff_drafts_reject", tags=STAFF_TAGS, parameters=[DRAFT_ID], request=RejectInput,
                   responses={200: DraftOutput, **TRANSITION_ERRORS}, summary="Reject a draft")
    def post(self, request, draft_id):
        data = valid_input(self.RejectInput, request.data)
        draft = services.draft_reject(draft=_draft(draft_id), actor=request.user, reason=data["reason"])
        return Response(DraftOutput(draft).data)


class DraftRequestChangesApi(StaffView):
    """Send a draft in review back with a comment (permission: review draft).

    By default a new draft is queued with the comment in its prompt.
    """

    class RequestChangesInput(serializers.Serializer):
        comment = Text(max_length=2000)
        regenerate = serializers.BooleanField(required=False, default=True,
                                              help_text="Queue a new draft with the comment in its prompt.")

    @extend_schema(operation_id="staff_drafts_request_changes", tags=STAFF_TAGS, parameters=[DRAFT_ID],
                   request=RequestChangesInput, responses={200: DraftOutput, **TRANSITION_ERRORS},
                   summary="Request changes to a draft")
    def post(self, request, draft_id):
        data = valid_input(self.RequestChangesInput, request.data)
        draft = services.draft_request_changes(draft=_draft(draft_id), actor=request.user, **data)
        return Response(DraftOutput(draft).data)


class DraftPublishApi(StaffView):
    """Publish an approved draft: it replaces the product's current copy of that kind (permission: publish draft)."""

    @extend_schema(operation_id="staff_drafts_publish", tags=STAFF_TAGS, parameters=[DRAFT_ID], request=None,
                   responses={200: PublishedCopyOutput, **TRANSITION_ERRORS},
                   summary="Publish a draft")
    def post(self, request, draft_id):
        copy = services.draft_publish(draft=_draft(draft_id), actor=request.user)
        return Response(PublishedCopyOutput(copy).data)


class DraftApproveAndPublishApi(StaffView):
    """Approve a draft in review and publish it at once (permission: publish draft)."""

    class ApproveAndPublishInput(serializers.Serializer):
        comment = Text(required=False, allow_blank=True, max_length=2000)

    @extend_schema(operation_id="staff_drafts_approve_and_publish", tags=STAFF_TAGS, parameters=[DRAFT_ID],
                   request=ApproveAndPublishInput, responses={200: PublishedCopyOutput, **TRANSITION_ERRORS},
                   summary="Approve and publish a draft")
    def post(self, request, draft_id):
        data = valid_input(self.ApproveAndPublishInput, request.data)
        copy = services.draft_approve_and_publish(draft=_draft(draft_id), actor=request.user, **data)
        return Response(PublishedCopyOutput(copy).data)
