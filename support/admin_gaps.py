"""Support > Suggested articles: knowledge-base gaps and the articles the model drafted for them, for review.

The draft is an unpublished knowledge article: reviewers edit it in *Knowledge articles* if it needs
it, then approve it here (it is published and joins retrieval) or reject it. Approving and
rejecting need ``review_article_suggestion`` (Support leads); the services check it.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ecomcms.admin_utils import ReadOnlyAdminMixin, report_outcome
from support import services
from support.models import ArticleSuggestion

REJECT_REASON = "rejected in the admin review"


@admin.register(ArticleSuggestion)
class ArticleSuggestionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("title", "status", "ticket_count", "best_score", "cohesion", "created_at")
    list_filter = ("status",)
    search_fields = ("title",)
    actions = ["approve_selected", "reject_selected"]
    fields = ("title", "status", "article_link", "article_body", "ticket_links", "best_score", "cohesion", "details",
              "model_id", "prompt_version", "tokens_in", "tokens_out", "seconds", "failure_reason", "decided_by",
              "decided_at", "reject_reason", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("article")

    def has_review_permission(self, request):
        return request.user.has_perm(services.kb_gaps.REVIEW_PERMISSION)

    @admin.display(description="Tickets")
    def ticket_count(self, obj):
        return obj.tickets.count()

    @admin.display(description="Draft article")
    def article_link(self, obj):
        if obj.article_id is None:
            return "-"
        url = reverse("admin:ecomcms_support_knowledgearticle_change", args=[obj.article_id])
        state = "published" if obj.article.is_published else "unpublished: edit it here before approving"
        return format_html('<a href="{}">{}</a> ({})', url, obj.article.title, state)

    @admin.display(description="Article text")
    def article_body(self, obj):
        return obj.article.body if obj.article_id else "-"

    @admin.display(description="Tickets of the gap")
    def ticket_links(self, obj):
        return format_html_join(
            ", ", '<a href="{}">{}</a>',
            ((reverse("admin:ecomcms_support_ticket_change", args=[t.pk]), t.public_id) for t in obj.tickets.all()),
        ) or "-"

    def _each(self, request, queryset, verb: str, call) -> None:
        done, failures = 0, []
        for suggestion in queryset:
            try:
                call(suggestion)
                done += 1
            except services.SupportError as exc:
                failures.append(f"{suggestion.title}: {exc}")
        report_outcome(self, request, done, failures, verb)

    @admin.action(description="Approve and publish the selected articles", permissions=["review"])
    def approve_selected(self, request, queryset):
        self._each(request, queryset, "Published",
                   lambda s: services.article_suggestion_approve(suggestion=s, actor=request.user))

    @admin.action(description="Reject the selected suggestions", permissions=["review"])
    def reject_selected(self, request, queryset):
        self._each(request, queryset, "Rejected",
                   lambda s: services.article_suggestion_reject(suggestion=s, actor=request.user,
                                                                reason=REJECT_REASON))
