"""Recommender admin: trained versions with their metrics (activate, roll back), rules, the shop setting."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ecomcms.admin_utils import ReadOnlyAdminMixin, report_queued
from recommender import charts, services
from recommender.models import Event, MerchandisingRule, ModelActivation, ModelVersion, ShopSetting
from recommender.selectors import in_order

METRIC_COLUMNS = ("precision", "recall", "ndcg", "map", "coverage")


def _k(version: ModelVersion) -> int | None:
    return (version.parameters.get("evaluation") or {}).get("k")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "status", "is_active", "trained_at", "data_window", "n_events", "blend_ndcg",
                    "best", "seconds_display")
    list_filter = ("status", "is_active", "algorithm", "trigger")
    search_fields = ("name", "notes")
    actions = ["activate", "roll_back", "train_now"]
    fields = ("name", "algorithm", "status", "failure_reason", "is_active", "activated_at", "trigger", "started_at",
              "trained_at", "seconds", "data_start", "data_end", "n_events", "n_customers", "n_items",
              "metrics_chart", "metrics_table", "parameters", "artifact", "notes", "activation_log")
    readonly_fields = tuple(f for f in fields if f != "notes")

    def has_add_permission(self, request):
        return False  # versions come from training runs (the action, the command or the schedule)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("ecomcms_recommender.activate_modelversion"):
            actions.pop("activate", None)
            actions.pop("roll_back", None)
        if not request.user.has_perm("ecomcms_recommender.add_modelversion"):
            actions.pop("train_now", None)
        return actions

    @admin.display(description="Data")
    def data_window(self, obj):
        if not obj.data_start:
            return "-"
        return f"{obj.data_start:%Y-%m-%d} – {obj.data_end:%Y-%m-%d}"

    @admin.display(description="Blend NDCG")
    def blend_ndcg(self, obj):
        blend = obj.metrics.get("blend")
        return f"{blend['ndcg']:.4f}" if blend else "-"

    @admin.display(description="Best (NDCG)")
    def best(self, obj):
        if not obj.metrics:
            return "-"
        name = max(obj.metrics, key=lambda n: obj.metrics[n].get("ndcg", 0))
        return f"{name} {obj.metrics[name]['ndcg']:.4f}"

    @admin.display(description="Seconds")
    def seconds_display(self, obj):
        return f"{obj.seconds:.1f}" if obj.seconds is not None else "-"

    @admin.display(description="Offline metrics")
    def metrics_chart(self, obj):
        return charts.metrics_bar_chart(in_order(obj.metrics), k=_k(obj))

    @admin.display(description="Metrics table")
    def metrics_table(self, obj):
        if not obj.metrics:
            return "-"
        k = _k(obj)
        header = format_html_join("", "<th>{}</th>", ((f"{m}@{k}" if k else m,) for m in METRIC_COLUMNS))
        rows = format_html_join(
            "", "<tr><td>{}</td>{}<td>{}</td></tr>",
            ((name, format_html_join("", "<td>{}</td>", ((f"{values.get(m, 0):.4f}",) for m in METRIC_COLUMNS)),
              f"{values.get('fit_seconds', 0):.2f}") for name, values in in_order(obj.metrics).items()),
        )
        return format_html(
            "<table><thead><tr><th>recommender</th>{}<th>fit s</th></tr></thead><tbody>{}</tbody></table>", header, rows
        )

    @admin.display(description="Activations")
    def activation_log(self, obj):
        log = ModelActivation.objects.filter(to_version=obj).select_related("actor", "from_version")[:20]
        if not log:
            return "-"
        return format_html_join("", "<div>{} {} (from #{}) by {}: {}</div>", (
            (entry.at.strftime("%Y-%m-%d %H:%M"), entry.get_kind_display(), entry.from_version_id or "-",
             entry.actor or "the system", entry.comment) for entry in log))

    @admin.action(description="Activate the selected version (it serves from now on)")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        try:
            version = services.model_activate(version=queryset.get(), actor=request.user, comment="admin")
        except services.RecommenderError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Version #{version.pk} is active.", messages.SUCCESS)

    @admin.action(description="Roll back: serve again the version that was active before the active one")
    def roll_back(self, request, queryset):
        try:
            version = services.model_rollback(actor=request.user)
        except services.RecommenderError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Rolled back: version #{version.pk} is active again.", messages.SUCCESS)

    @admin.action(description="Train a new version now (in the worker)")
    def train_now(self, request, queryset):
        try:
            dispatch = services.model_training_request(actor=request.user)
        except services.RecommenderError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        report_queued(self, request, dispatch, what="Training", queued="Training queued; the new version appears "
                      "here when it is ready (activate it when its metrics look right).")

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_active)

    def delete_model(self, request, obj):
        services.model_versions_delete(versions=[obj], actor=request.user)

    def delete_queryset(self, request, queryset):
        try:
            services.model_versions_delete(versions=list(queryset), actor=request.user)
        except services.RecommenderError as exc:
            self.message_user(request, str(exc), messages.ERROR)


@admin.register(ModelActivation)
class ModelActivationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "kind", "from_version", "to_version", "actor", "comment")
    list_filter = ("kind",)
    list_select_related = ("from_version", "to_version", "actor")


@admin.register(MerchandisingRule)
class MerchandisingRuleAdmin(admin.ModelAdmin):
    list_display = ("product", "action", "position", "weight", "context", "category", "starts_at", "ends_at",
                    "is_active", "note")
    list_filter = ("action", "context", "is_active")
    list_editable = ("is_active",)
    search_fields = ("product__sku", "product__title", "note")
    autocomplete_fields = ("product",)
    list_select_related = ("product",)


@admin.register(ShopSetting)
class ShopSettingAdmin(admin.ModelAdmin):
    """One row: the changelist goes straight to it."""

    fields = ("exclude_purchased", "max_per_category", "activate_scheduled_versions", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        setting = ShopSetting.load()
        return HttpResponseRedirect(reverse("admin:ecomcms_recommender_shopsetting_change", args=[setting.pk]))


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    allow_delete = True
    list_display = ("occurred_at", "type", "product", "customer_id", "session_id", "order_id", "quantity", "source")
    list_filter = ("type", "source")
    search_fields = ("customer_id", "session_id", "order_id", "product__sku")
    list_select_related = ("product",)
    raw_id_fields = ("product",)
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # counting millions of events on every page load is slow
