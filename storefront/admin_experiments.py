"""A/B tests of copy in the admin (Storefront > Experiments): start one (on a product, or on a category
with arms by provenance), read its results, stop it."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from content.models import CopyKind, Draft, DraftStatus, Product
from ecomcms import charts
from storefront import experiments
from storefront.models import Experiment, ExperimentStatus, PrimaryMetric


class DraftChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, draft):
        text = draft.text.replace("\n", " ")
        return (
            f"#{draft.pk} {draft.product.sku} · {draft.get_kind_display()} · {draft.get_status_display()}: {text[:90]}"
        )


def _metric_field():
    return forms.ChoiceField(
        label="Primary metric", choices=PrimaryMetric.choices, initial=PrimaryMetric.CART,
        help_text="The one metric that decides, chosen now; the other is shown on the page and never decides.")


def _baseline_field():
    return forms.FloatField(
        label="Baseline rate (%)", required=False, min_value=0.01, max_value=99.99,
        help_text="The primary metric's rate today. Blank: 8% for add-to-cart, 4% for purchase.")


def _lift_field():
    return forms.FloatField(
        label="Minimum lift (%)", initial=25, min_value=1, max_value=1000,
        help_text="The smallest relative lift worth finding (25: 8% to 10%). It sets the planned visitors per "
                  "variant; a smaller lift needs many more.")


def _plan_arguments(data: dict) -> dict:
    baseline = data.get("baseline_percent")
    return {"primary_metric": data["primary_metric"], "minimum_lift": data["lift_percent"] / 100,
            "baseline_rate": None if baseline is None else baseline / 100}


PLAN_FIELDS = ("primary_metric", "baseline_percent", "lift_percent")


class ExperimentStartForm(forms.ModelForm):
    drafts = DraftChoice(
        queryset=Draft.objects.filter(status__in=[DraftStatus.APPROVED, DraftStatus.PUBLISHED])
        .select_related("product").order_by("product__sku", "kind", "-pk"),
        widget=forms.SelectMultiple(attrs={"size": 12, "style": "width:100%"}),
        help_text="2 or 3 approved or published drafts of the product and kind above (A, B, C in this order).",
    )
    primary_metric = _metric_field()
    baseline_percent = _baseline_field()
    lift_percent = _lift_field()

    class Meta:
        model = Experiment
        fields = ("name", "product", "kind", "minimum_exposures")
        widgets = {"kind": forms.Select(choices=CopyKind.choices)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].required = True  # optional on the model: a category experiment has none


ARM_HELP = ("A template version (4), an adapter (adapter:2) or the base model (adapter:none), or a model "
            "(model:ID), as the drafts' provenance records it.")


class CategoryExperimentForm(forms.Form):
    name = forms.CharField(required=False, max_length=200)
    category = forms.ChoiceField(choices=())
    kind = forms.ChoiceField(choices=CopyKind.choices)
    arm_a = forms.CharField(label="Arm A", max_length=200, help_text=ARM_HELP)
    arm_b = forms.CharField(label="Arm B", max_length=200)
    arm_c = forms.CharField(label="Arm C", max_length=200, required=False, help_text="Optional.")
    minimum_exposures = forms.IntegerField(min_value=1, max_value=10_000_000, initial=300,
                                           help_text="Visitors each arm needs before the page names a likely winner.")
    primary_metric = _metric_field()
    baseline_percent = _baseline_field()
    lift_percent = _lift_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = (Product.objects.filter(is_active=True).exclude(category="").order_by("category")
                      .values_list("category", flat=True).distinct())
        self.fields["category"].choices = [(c, c) for c in categories]


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "scope", "kind", "status", "started_at", "stopped_at")
    list_filter = ("status", "kind")
    search_fields = ("name", "product__sku", "product__title", "category")
    list_select_related = ("product",)
    autocomplete_fields = ("product",)
    readonly_fields = ("name", "scope", "kind", "status", "primary_metric", "planned_exposures", "minimum_exposures",
                       "started_by", "started_at", "stopped_by", "stopped_at", "results")
    change_list_template = "admin/ecomcms_storefront/experiment/change_list.html"

    @admin.display(description="On")
    def scope(self, obj):
        if obj.is_category:
            arms = " vs ".join(arm["label"] for arm in obj.arms)
            return f"category {obj.category}: {arms}"
        return str(obj.product)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ecomcms_content.view_draft")

    def has_module_permission(self, request):
        return request.user.has_perm("ecomcms_content.view_draft")

    def has_add_permission(self, request):
        return request.user.has_perm("ecomcms_content.publish_draft")

    def has_change_permission(self, request, obj=None):
        return False  # an experiment's variants never change; stop it and start another

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ExperimentStartForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "product", "kind", "drafts", "minimum_exposures", *PLAN_FIELDS)
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            started = experiments.experiment_start(
                product=data["product"], kind=data["kind"], drafts=list(data["drafts"]), actor=request.user,
                name=data.get("name") or "", minimum_exposures=data["minimum_exposures"], **_plan_arguments(data))
        except experiments.ExperimentError as exc:
            raise _FormError(str(exc)) from exc
        obj.pk = started.pk
        obj.refresh_from_db()

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except _FormError as exc:
            self.message_user(request, f"Not started: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_urls(self):
        return [
            path(
                "<int:pk>/stop/", self.admin_site.admin_view(self.stop_view), name="ecomcms_storefront_experiment_stop"
            ),
            path(
                "category/add/",
                self.admin_site.admin_view(self.add_category_view),
                name="ecomcms_storefront_experiment_add_category",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"add_category_url": reverse("admin:ecomcms_storefront_experiment_add_category")
                 if self.has_add_permission(request) else None}
        return super().changelist_view(request, (extra_context or {}) | extra)

    def add_category_view(self, request):
        """Start an experiment on a category: the arms, and the products that have a draft from each."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CategoryExperimentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                started = experiments.experiment_start_category(
                    category=data["category"], kind=data["kind"], actor=request.user, name=data["name"],
                    arms=[data[f] for f in ("arm_a", "arm_b", "arm_c") if data.get(f)],
                    minimum_exposures=data["minimum_exposures"], **_plan_arguments(data))
            except experiments.NotAllowed as exc:
                raise PermissionDenied(str(exc)) from exc
            except experiments.ExperimentError as exc:
                form.add_error(None, str(exc))
            else:
                coverage = started.coverage
                self.message_user(request, f"Started on {coverage['in_experiment']} of {coverage['products']} products "
                                           f"of {started.category}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:ecomcms_storefront_experiment_change", args=[started.pk]))
        return TemplateResponse(request, "admin/ecomcms_storefront/experiment/category_add.html", {
            **self.admin_site.each_context(request), "title": "Start an experiment on a category", "form": form,
            "opts": self.model._meta,
        })

    def stop_view(self, request, pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        experiment = get_object_or_404(Experiment, pk=pk)
        try:
            experiments.experiment_stop(experiment=experiment, actor=request.user)
        except experiments.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except experiments.ExperimentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, "Stopped: the published copy is served again. Publish the winner's draft "
                                       "to promote it.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:ecomcms_storefront_experiment_change", args=[pk]))

    @admin.display(description="Results")
    def results(self, obj):
        result = experiments.experiment_results(obj)
        rows, plan = result["variants"], result["plan"]
        chart = charts.interval_bars({
            "add-to-cart rate": [(r["label"], r["cart_rate"]) for r in rows],
            "purchase rate": [(r["label"], r["purchase_rate"]) for r in rows],
        }, label="Add-to-cart and purchase rates per variant with 95% intervals", width=600)
        cells = []
        for r in rows:
            cart, purchase = r["cart_rate"], r["purchase_rate"]
            cells.append(format_html(
                "<tr><th>{}</th><td>{}</td><td>{} of {}</td><td>{}</td><td>{} ({}–{})</td><td>{}</td>"
                "<td>{}</td><td>{} ({}–{})</td><td>{}</td><td>{}</td></tr>",
                r["label"], r["exposures"], r["counted"], plan["planned_exposures"], r["carts"], _pct(cart["estimate"]),
                _pct(cart["low"]), _pct(cart["high"]), _pct(r["p_best_cart"]), r["purchases"],
                _pct(purchase["estimate"]), _pct(purchase["low"]), _pct(purchase["high"]), _pct(r["p_best_purchase"]),
                _copy_cell(obj, r)))
        coverage = format_html(
            "<p>{} of the {} active products of {} are in it; {} lacked an approved draft from every arm and {} were "
            "under another running experiment of the kind: they are served as usual and not counted.</p>",
            result["coverage"].get("in_experiment", 0), result["coverage"].get("products", 0), obj.category,
            result["coverage"].get("without_arms", 0), result["coverage"].get("busy", 0),
        ) if obj.is_category else ""
        decides = {m: " (decides)" if m == plan["primary_metric"] else " (secondary, never decides)"
                   for m in PrimaryMetric.values}
        return format_html(
            '<p class="experiment-verdict"><b>{}</b></p>{}{}{}'
            "<table><thead><tr><th>Variant</th><th>Visitors</th><th>Counted for the verdict</th><th>Added to cart</th>"
            "<th>Add-to-cart rate (95%){}</th><th>P(best)</th><th>Bought</th><th>Purchase rate (95%){}</th>"
            "<th>P(best)</th><th>Copy</th></tr></thead><tbody>{}</tbody></table>",
            result["verdict"]["message"], _plan_html(plan), coverage, chart, decides[PrimaryMetric.CART],
            decides[PrimaryMetric.PURCHASE], format_html("".join(["{}"] * len(cells)), *cells))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        experiment = self.get_object(request, object_id)
        can_stop = (experiment is not None and experiment.status == ExperimentStatus.RUNNING
                    and request.user.has_perm("ecomcms_content.publish_draft"))
        extra = {
            "stop_url": reverse("admin:ecomcms_storefront_experiment_stop", args=[object_id]) if can_stop else None
        }
        return super().change_view(request, object_id, form_url, (extra_context or {}) | extra)


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _plan_html(plan: dict):
    """What decides, on how many visitors, and the boundary that lets the page be looked at any time."""
    return format_html(
        '<p class="experiment-plan"><b>Decides:</b> the {} (chosen when it started); the {} is shown and never '
        "decides.<br><b>Planned sample:</b> {} visitors per variant, to find a {} lift on a baseline of {} with "
        "{} power. The verdict counts the first {} visitors of each variant, and none before {} each.<br>"
        "<b>Boundary:</b> a variant is named only when it leads every other by z ≥ {} / √t, t the share of the "
        "planned sample seen ({} at the plan, higher before it), so among equal variants a false winner is at most "
        "{} however often this page is looked at (docs/analytics.md).</p>",
        plan["primary_label"].lower(), plan["secondary_label"].lower(), plan["planned_exposures"],
        f"{plan['minimum_lift']:.0%}", f"{plan['baseline_rate']:.1%}", f"{plan['power']:.0%}",
        plan["planned_exposures"], plan["minimum_exposures"], f"{plan['boundary']:.2f}", f"{plan['boundary']:.2f}",
        f"{plan['alpha']:.0%}")


def _copy_cell(experiment: Experiment, row: dict):
    """A product experiment's draft and text; a category experiment's arm, with a link to its drafts to publish."""
    if not experiment.is_category:
        return format_html('<a href="{}">draft #{}</a>: {}', reverse("admin:ecomcms_content_draft_change",
                                                                     args=[row["draft_id"]]),
                           row["draft_id"], row["text"][:120])
    ids = ",".join(str(pk) for pk in row["draft_ids"])
    return format_html('{} on {} products: <a href="{}?id__in={}">its drafts</a>', row["name"], row["products"],
                       reverse("admin:ecomcms_content_draft_changelist"), ids)


class _FormError(Exception):
    pass
