"""The editor-decision report page (Content > Editor decisions): read-only, charts drawn on the server."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone

from content import analytics, arms
from content.models import CopyKind, EditorDecisions
from ecomcms import charts
from ecomcms.admin_utils import ReadOnlyAdminMixin

OUTCOME_SEGMENTS = (("approved_as_written", "approved as written"), ("approved_after_edits", "approved after edits"),
                    ("changes_requested", "changes requested"), ("rejected", "rejected"), ("pending", "pending"))


class ReportForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(required=False, choices=[("", "all kinds")] + list(CopyKind.choices))
    compare_a = forms.CharField(required=False, max_length=200, label="Compare A",
                                help_text="A template version (3), an adapter (adapter:2, adapter:none) or a model "
                                          "(model:ID).")
    compare_b = forms.CharField(required=False, max_length=200, label="with B")
    job = forms.IntegerField(required=False, min_value=1, label="in job",
                             help_text="Optional: only the drafts of this (split) generation job.")

    def clean(self):
        data = super().clean()
        if (data.get("compare_a") or data.get("compare_b")) and not data.get("kind"):
            raise forms.ValidationError("Choose a kind to compare two of its template versions, adapters or models.")
        return data


def _moment(day) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


@admin.register(EditorDecisions)
class EditorDecisionsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """One page: totals, outcomes per template version and model, weekly trends, an A/B comparison."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ecomcms_content.view_draft")

    def has_module_permission(self, request):
        return request.user.has_perm("ecomcms_content.view_draft")

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "", self.admin_site.admin_view(self.changelist_view), name="ecomcms_content_editordecisions_changelist"
            )
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        initial = {"since": (timezone.localdate() - timedelta(days=90)).isoformat()}
        form = ReportForm(request.GET or initial)
        context = {**self.admin_site.each_context(request), "title": "Editor decisions", "form": form,
                   "opts": self.model._meta}
        if form.is_valid():
            data = form.cleaned_data
            since, until, kind = _moment(data["since"]), _moment(data["until"]), data["kind"] or None
            result = analytics.report(since=since, until=until, kind=kind)
            context |= {"result": result, **_charts(result)}
            if data.get("compare_a") and data.get("compare_b"):
                context["comparison"] = _comparison(kind, data["compare_a"], data["compare_b"], since, data.get("job"))
        return TemplateResponse(request, "admin/ecomcms_content/editordecisions/report.html", context)


def _charts(result: dict) -> dict:
    by_template: dict[str, dict[str, int]] = {}
    for group in result["groups"]:
        caption = f"{group['template']} · {group['model'].rsplit('/', 1)[-1][:18]} · {group['adapter']}"
        counts = by_template.setdefault(caption, {})
        for key, _ in OUTCOME_SEGMENTS:
            counts[key] = counts.get(key, 0) + group[key]
    series: dict[str, list[tuple[str, float]]] = {}
    for week in result["weeks"]:
        if week["decided"]:
            series.setdefault(week["kind"], []).append((week["week"], week["approved_as_written_rate"]["estimate"]))
    return {
        "outcomes_chart": charts.stacked_shares(sorted(by_template.items()), OUTCOME_SEGMENTS,
                                                label="Editor decisions per template version and model"),
        "weekly_chart": charts.rate_lines(series, label="Share approved as written, by week"),
    }


def _comparison(kind: str, spec_a: str, spec_b: str, since, job_id: int | None) -> dict:
    try:
        arm_a, arm_b = arms.arms_parse([spec_a, spec_b], kind=kind)
    except arms.ArmError as exc:
        return {"error": str(exc)}
    return analytics.compare_arms(arm_a=arm_a, arm_b=arm_b, kind=kind, since=since, job_id=job_id)
