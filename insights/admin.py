"""Monitoring in the admin: the dashboard (charts by week), the alerts found, and who follows what."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ecomcms import charts
from ecomcms.admin_utils import ReadOnlyAdminMixin, report_queued
from ecomcms.errors import ServiceError
from insights import selectors, services
from insights.models import Alert, Scope, Subscription

MONITORING = "ecomcms_insights.view_monitoring"
SHOWN_KEYS = 6


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["user", "brand", "category"]

    owner = None  # set for staff who are not superusers: they keep their own subscriptions

    def clean(self):
        data = super().clean()
        data["brand"], data["category"] = services.subscription_clean(brand=data.get("brand", ""),
                                                                      category=data.get("category", ""))
        user = self.owner or data.get("user")
        if user is not None and Subscription.objects.filter(user=user, brand=data["brand"], category=data["category"]
                                                            ).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This subscription exists already.")
        return data


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Staff follow a brand or a category. Everyone with the monitoring sees who follows what; staff add,
    change and delete their own subscriptions, superusers anyone's."""

    form = SubscriptionForm
    list_display = ["user", "brand", "category", "created_at"]
    list_select_related = ["user"]
    list_filter = ["brand", "category"]
    search_fields = ["brand", "category", "user__username"]

    def _own(self, request, obj) -> bool:
        return obj is None or request.user.is_superuser or obj.user_id == request.user.pk

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._own(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:  # the bulk delete would reach others' rows: one's own go one by one
            actions.pop("delete_selected", None)
        return actions

    def get_fields(self, request, obj=None):
        return ["user", "brand", "category"] if request.user.is_superuser else ["brand", "category"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser:
            form = type("OwnSubscriptionForm", (form,), {"owner": request.user})
        return form

    def save_form(self, request, form, change):
        subscription = super().save_form(request, form, change)
        if not request.user.is_superuser:
            subscription.user = request.user  # one's own subscriptions only
        return subscription

    def get_changeform_initial_data(self, request):
        return {"user": request.user.pk, **super().get_changeform_initial_data(request)}


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Spikes found (each stored once), and the dashboard page."""

    list_display = ["week", "metric", "scope", "label", "value_shown", "baseline_shown", "z", "count", "emailed_at"]
    list_filter = ["metric", "scope", "week"]
    search_fields = ["key", "label", "brand", "category"]
    date_hierarchy = "week"

    @admin.display(description="value")
    def value_shown(self, alert):
        return f"{alert.value:.0%}" if alert.metric == "share_negative" else f"{alert.value:g}"

    @admin.display(description="baseline")
    def baseline_shown(self, alert):
        return f"{alert.baseline:.0%}" if alert.metric == "share_negative" else f"{alert.baseline:.1f}"

    def get_urls(self):
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view),
                 name="ecomcms_insights_alert_dashboard"),
            path("dashboard/refresh/", self.admin_site.admin_view(require_POST(self.refresh_view)),
                 name="ecomcms_insights_alert_refresh"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {"dashboard_url": reverse("admin:ecomcms_insights_alert_dashboard"), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def dashboard_view(self, request):
        if not request.user.has_perm(MONITORING):
            raise PermissionDenied
        form = DashboardForm(request.GET or None)
        data = form.cleaned_data if form.is_valid() else {}
        scope = data.get("scope") or Scope.BRAND
        weeks = data.get("weeks") or 12
        key = (data.get("key") or "").strip() or None
        until = timezone.localdate()
        since = selectors.week_start(until) - timedelta(weeks=weeks - 1)
        context = {**self.admin_site.each_context(request), "title": "Monitoring: reviews and tickets by week",
                   "opts": self.model._meta, "form": form, "scope": scope, "key": key,
                   **_dashboard(scope, key, since, until),
                   "alerts": selectors.recent_alerts(limit=20), "models": selectors.sentiment_models(),
                   "unread": selectors.unread_reviews(),
                   "can_refresh": request.user.has_perm(MONITORING)}
        return TemplateResponse(request, "admin/ecomcms_insights/dashboard.html", context)

    def refresh_view(self, request):
        try:
            dispatch = services.monitoring_request_refresh(actor=request.user)
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied from exc
            self.message_user(request, str(exc), messages.ERROR)
        else:
            report_queued(self, request, dispatch, what="The check",
                          queued="Spike check queued: new alerts appear here once the worker has run it.")
        return HttpResponseRedirect(reverse("admin:ecomcms_insights_alert_dashboard"))


class DashboardForm(forms.Form):
    scope = forms.ChoiceField(choices=Scope.choices, required=False)
    key = forms.CharField(required=False, max_length=120, label="Brand, category or SKU",
                          help_text="Empty: the busiest of the scope.")
    weeks = forms.IntegerField(required=False, min_value=2, max_value=104, initial=12)


def _week_caption(week) -> str:
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


def _dashboard(scope: str, key: str | None, since, until) -> dict:
    """Charts and the weekly table for one scope (its busiest keys) or one key of it."""
    keys = [key] if key else selectors.top_keys(scope, since=since, until=until, limit=SHOWN_KEYS)
    figures = selectors.weekly_figures(scope, since=since, until=until, keys=keys)
    info = selectors.key_info(scope, keys)
    weeks = selectors.weeks_between(since, until)

    def name(k: str) -> str:
        label = info[k].label if k in info else k
        return f"{label} ({k})" if scope == Scope.PRODUCT and label != k else label

    share_series, volume_series, split_rows, table = {}, {}, [], []
    for k in keys:
        rows = [figures.get((k, w)) for w in weeks]
        share_series[name(k)] = [(_week_caption(w), f.share_negative) for w, f in zip(weeks, rows)
                                 if f and f.share_negative is not None]
        volume_series[f"{name(k)}: reviews"] = [(_week_caption(w), f.reviews if f else 0) for w in weeks
                                                for f in [figures.get((k, w))]]
        volume_series[f"{name(k)}: tickets"] = [(_week_caption(w), f.tickets if f else 0) for w in weeks
                                                for f in [figures.get((k, w))]]
        totals = {"negative": 0, "neutral": 0, "positive": 0}
        for f in rows:
            if f:
                for label in totals:
                    totals[label] += f.reviews_by[label]
                table.append({"key": name(k), "week": _week_caption(f.week), "reviews": f.reviews,
                              "share_negative": f.share_negative, "average_rating": f.average_rating,
                              "tickets": f.tickets, "ticket_share_negative": f.ticket_share_negative})
        split_rows.append((name(k), totals))
    negative_texts, all_texts = selectors.review_texts(scope, since=since, until=until, key=key)
    table.sort(key=lambda r: (r["key"], r["week"]), reverse=False)
    many = len(volume_series) > 8  # a legend of 12 lines is unreadable: show reviews and tickets apart then
    return {
        "keys": keys, "table": table,
        "share_chart": charts.rate_lines(share_series, label="Share of negative reviews by week"),
        "volume_chart": charts.count_lines(
            {k: v for k, v in volume_series.items() if not many or k.endswith("reviews")},
            label="Reviews by week"),
        "ticket_chart": charts.count_lines({k: v for k, v in volume_series.items() if k.endswith("tickets")},
                                           label="Tickets by week") if many else None,
        "split_chart": charts.stacked_shares(split_rows, [("negative", "negative"), ("neutral", "neutral"),
                                                          ("positive", "positive")],
                                             label="Sentiment of the period's reviews"),
        "phrases": selectors.complaint_phrases(negative_texts, all_texts, limit=12),
        "negative_reviews": len(negative_texts),
    }
