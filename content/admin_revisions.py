"""Content > Copy revisions: the requests opened because customers were misled by a product's copy.

Read-only: requests are opened and joined by ``content.revisions`` (from support tickets); the
drafts they queued are reviewed in the review queue like any other. Each report links back to
where it came from (the ticket's admin page), and the ticket's page links here.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from content.models import CopyRevision
from ecomcms.admin_utils import ReadOnlyAdminMixin


def revision_reports_html(revision: CopyRevision):
    """The customers' redacted points, each with a link to its source when there is one."""
    rows = format_html_join(
        "", "<li>{}{}: {}</li>",
        (
            (format_html('<a href="{}">{}</a>', r["url"], r.get("source", "")) if r.get("url") else r.get("source", ""),
             f" ({r['reason']})" if r.get("reason") else "", r.get("text", ""))
            for r in revision.reports
        ),
    )
    link = reverse("admin:ecomcms_content_copyrevision_change", args=[revision.pk])
    return format_html('<p><a href="{}">Revision request {}</a> ({})</p><ul>{}</ul>', link, revision.pk,
                       revision.get_status_display().lower(), rows)


@admin.register(CopyRevision)
class CopyRevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "product", "status", "report_count", "updated_at")
    list_filter = ("status", "kind")
    search_fields = ("product__sku", "product__title")
    list_select_related = ("product",)
    fields = ("product", "kind", "status", "reports_list", "drafts_list", "created_at", "updated_at", "closed_at")
    readonly_fields = fields

    @admin.display(description="Reports")
    def report_count(self, obj):
        return len(obj.reports)

    @admin.display(description="Customer reports (redacted)")
    def reports_list(self, obj):
        return revision_reports_html(obj)

    @admin.display(description="Drafts")
    def drafts_list(self, obj):
        drafts = obj.drafts.order_by("pk")
        return format_html_join(
            ", ", '<a href="{}">draft {} ({})</a>',
            ((reverse("admin:ecomcms_content_draft_change", args=[d.pk]), d.pk, d.get_status_display().lower())
             for d in drafts),
        ) or "-"
