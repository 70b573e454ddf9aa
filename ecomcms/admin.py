"""Runtime > Adapters: fine-tuning runs, their progress and held-out comparison, activation and roll-back."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from ecomcms import charts
from ecomcms.admin_utils import ReadOnlyAdminMixin
from ecomcms.finetune import registry, services
from ecomcms.models import Adapter, AdapterActivation


class TrainForm(forms.ModelForm):
    purpose = forms.ChoiceField(choices=())
    epochs = forms.IntegerField(min_value=1, max_value=20, initial=1)
    pairs_path = forms.CharField(required=False, help_text="Optional: a file of facts and people's copy to "
                                 "bootstrap from (read by the worker), as evaluate_copy reads it.")
    pairs_format = forms.ChoiceField(choices=[("amazon2020", "amazon2020"), ("csv", "csv")], required=False)
    holdout = forms.FloatField(min_value=0.05, max_value=0.5, initial=0.2, help_text="Share held out for the gate.")

    class Meta:
        model = Adapter
        fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [(p.name, f"{p.label} ({p.name})") for p in registry.purposes()]


def _number(value) -> float | None:
    """A metric's number: plain, or the harness's ``{"value": ..., "ci95": ...}``."""
    if isinstance(value, dict):
        value = value.get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@admin.register(Adapter)
class AdapterAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "is_active", "gate", "train_examples", "seconds", "created_at")
    list_filter = ("purpose", "status", "is_active")
    readonly_fields = ("purpose", "version", "status", "is_active", "base_model", "parameters", "data", "gate",
                       "comparison", "loss", "seconds", "path", "error", "requested_by", "created_at", "finished_at")
    actions = ["activate", "rollback"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TrainForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ("purpose", "epochs", "pairs_path", "pairs_format", "holdout") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False  # a run is a record: train another instead

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        parameters = {"holdout": data["holdout"]}
        lora = registry.purpose_get(data["purpose"]).is_lora
        if lora:  # epochs and pairs are LoRA's; another trainer has its own defaults
            parameters["epochs"] = data["epochs"]
        if lora and data.get("pairs_path"):
            parameters["pairs"] = {"path": data["pairs_path"], "format": data.get("pairs_format") or "amazon2020"}
        adapter = services.adapter_train_request(purpose=data["purpose"], parameters=parameters, actor=request.user)
        obj.pk = adapter.pk
        obj.refresh_from_db()

    @admin.display(description="Gate", boolean=True)
    def gate(self, obj):
        return obj.gate_passed if obj.metrics else None

    @admin.display(description="Trained on")
    def train_examples(self, obj):
        return (obj.data or {}).get("train")

    @admin.display(description="Loss per step")
    def loss(self, obj):
        progress = obj.progress or {}
        caption = f"step {progress.get('step', 0)} of {progress.get('steps') or '?'}"
        return format_html("<p>{}</p>{}", caption, charts.loss_curve(progress.get("losses") or []))

    @admin.display(description="Held-out comparison")
    def comparison(self, obj):
        metrics = obj.metrics or {}
        if not metrics.get("adapter"):
            return "-"
        try:
            rows = registry.purpose_get(obj.purpose).shown_metrics
        except registry.UnknownPurpose:
            rows = ()
        if not rows:  # every number either side reported
            keys = dict.fromkeys(k for side in ("base", "adapter") for k, v in (metrics.get(side) or {}).items()
                                 if _number(v) is not None)
            rows = tuple((key.replace("_", " "), key) for key in keys)

        def cell(side, key):
            value = (metrics.get(side) or {}).get(key)
            number = _number(value)
            if number is None:
                return "-"
            ci = value.get("ci95") if isinstance(value, dict) else None
            return f"{number:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")

        body = format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
                                ((name, cell("base", key), cell("adapter", key)) for name, key in rows))
        reasons = "; ".join(metrics.get("gate", {}).get("reasons", []))
        return format_html("<table><thead><tr><th></th><th>active model</th><th>this version</th></tr></thead>"
                           "<tbody>{}</tbody></table><p>{}</p>", body, reasons)

    @admin.action(description="Activate (only an adapter better than the active model)")
    def activate(self, request, queryset):
        for adapter in queryset:
            try:
                services.adapter_activate(adapter=adapter, actor=request.user)
                self.message_user(request, f"{adapter} is active.", messages.SUCCESS)
            except services.FinetuneError as exc:
                self.message_user(request, f"{adapter}: {exc}", messages.ERROR)

    @admin.action(description="Roll back to the previously active adapter")
    def rollback(self, request, queryset):
        for purpose in sorted({a.purpose for a in queryset}):
            try:
                previous = services.adapter_rollback(purpose=purpose, actor=request.user)
                self.message_user(request, f"{purpose}: now {previous or 'the base model'}.", messages.SUCCESS)
            except services.FinetuneError as exc:
                self.message_user(request, str(exc), messages.ERROR)


@admin.register(AdapterActivation)
class AdapterActivationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("purpose", "kind", "from_adapter", "to_adapter", "actor", "at")
    readonly_fields = ("purpose", "kind", "from_adapter", "to_adapter", "actor", "at")
