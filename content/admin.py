"""The editorial workflow in the Django admin. Actions and buttons call services; nothing else writes."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from content import arms, checks, selectors, services, summaries
from content.diffs import text_diff
from content.models import (
    KIND_VARIANTS,
    AttributeTerm,
    BannedPhrase,
    CopyKind,
    Draft,
    DraftEvent,
    DraftStatus,
    GenerationJob,
    Product,
    PromptTemplate,
    PublishedCopy,
    Review,
    ReviewQueue,
    TemplatePreview,
)
from ecomcms.admin_utils import ReadOnlyAdminMixin, report_outcome

# --- Products -------------------------------------------------------------------------------

class GenerateForm(forms.Form):
    kind = forms.ChoiceField(choices=CopyKind.choices)
    due_at = forms.DateTimeField(required=False, help_text="Optional review deadline, e.g. 2026-12-24 12:00")
    challenger = forms.CharField(
        required=False, max_length=40, label="Split with a challenger",
        help_text="Optional: a template version (e.g. 4) or a trained adapter (adapter:2). About half the products "
                  "get it instead of the active template and model; compare the two on the Editor decisions page.")

    def clean(self):
        data = super().clean()
        data["challenger_template"] = data["challenger_adapter"] = None
        if data.get("kind") and data.get("challenger"):
            try:
                data["challenger_template"], data["challenger_adapter"] = arms.split_challenger(
                    data["challenger"], kind=data["kind"])
            except arms.ArmError as exc:
                self.add_error("challenger", str(exc))
        return data


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    fields = ("rating", "title", "author", "reviewed_at")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "title", "brand", "category", "price", "currency", "stock", "is_active", "published_kinds")
    list_filter = ("is_active", "category", "brand")
    search_fields = ("sku", "title", "brand", "category")
    ordering = ("title", "pk")  # explicit: the model's Meta.ordering does not apply to the annotated (grouped) list
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("created_at", "updated_at")
    inlines = [ReviewInline]
    actions = ["generate_drafts"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _published=Count(
                    "published_copy__kind", filter=Q(published_copy__superseded_at__isnull=True), distinct=True
                )
            )
        )

    @admin.display(description="Published kinds", ordering="_published")
    def published_kinds(self, obj):
        return obj._published

    @admin.action(description="Generate AI drafts for the selected products…", permissions=["request_generation"])
    def generate_drafts(self, request, queryset):
        if "apply" in request.POST:
            form = GenerateForm(request.POST)
            if form.is_valid():
                try:
                    job = services.drafts_request(
                        products=queryset,
                        kind=form.cleaned_data["kind"],
                        actor=request.user,
                        due_at=form.cleaned_data["due_at"],
                        description=f"admin selection of {queryset.count()} products",
                        challenger=form.cleaned_data["challenger_template"],
                        challenger_adapter=form.cleaned_data["challenger_adapter"],
                    )
                except services.ContentError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                    return None
                url = reverse("admin:ecomcms_content_generationjob_change", args=[job.pk])
                self.message_user(
                    request,
                    format_html('Queued {} drafts. <a href="{}">Follow the job</a>.', job.total, url),
                    messages.SUCCESS,
                )
                return None
        else:
            form = GenerateForm()
        return TemplateResponse(request, "admin/ecomcms_content/product/generate.html", {
            **self.admin_site.each_context(request), "title": "Generate AI drafts", "form": form,
            "queryset": queryset, "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    def has_request_generation_permission(self, request):
        return request.user.has_perm("ecomcms_content.request_generation")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("product", "rating", "title", "author", "reviewed_at")
    list_filter = ("rating",)
    search_fields = ("product__sku", "title", "body", "author")
    list_select_related = ("product",)
    raw_id_fields = ("product",)


# --- Templates ------------------------------------------------------------------------------

class PreviewForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.filter(is_active=True), help_text="Run the template on this product."
    )


@admin.register(PromptTemplate)
class PromptTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "version", "is_active", "strategy", "max_chars", "created_by", "created_at", "draft_count")
    list_filter = ("kind", "is_active", "strategy")
    readonly_fields = ("version", "is_active", "created_by", "created_at")
    fields = (
        "kind",
        "strategy",
        "system",
        "user",
        "options",
        "max_chars",
        "version",
        "is_active",
        "created_by",
        "created_at",
    )
    actions = ["activate"]
    change_form_template = "admin/ecomcms_content/prompttemplate/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by").annotate(_drafts=Count("drafts"))

    @admin.display(description="Drafts", ordering="_drafts")
    def draft_count(self, obj):
        return obj._drafts

    def save_model(self, request, obj, form, change):
        """Editing never changes a version in place: it saves a new, active version."""
        new = services.template_save_version(
            kind=obj.kind, system=obj.system, user=obj.user, options=obj.options or {}, max_chars=obj.max_chars,
            actor=request.user, strategy=obj.strategy,
        )
        obj.pk, obj.version, obj.is_active = new.pk, new.version, new.is_active

    def response_change(self, request, obj):
        self.message_user(
            request, f"Saved as version {obj.version}; it is now the active {obj.get_kind_display()} template."
        )
        return HttpResponseRedirect(reverse("admin:ecomcms_content_prompttemplate_change", args=[obj.pk]))

    @admin.action(description="Make the selected version active", permissions=["change"])
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        try:
            template = services.template_activate(template=queryset.get(), actor=request.user)
        except services.ContentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{template} is now active.", messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="ecomcms_content_prompttemplate_preview",
            ),
        ] + super().get_urls()

    def preview_view(self, request, pk):
        template = get_object_or_404(PromptTemplate, pk=pk)
        if not request.user.has_perm("ecomcms_content.request_generation"):
            raise PermissionDenied
        form = PreviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            preview = services.template_preview_request(template=template, product=form.cleaned_data["product"],
                                                        actor=request.user)
            preview.refresh_from_db(fields=["status", "error"])
            if preview.status == TemplatePreview.Status.FAILED:
                self.message_user(request, f"The preview was {preview.error}.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:ecomcms_content_templatepreview_change", args=[preview.pk]))
        return TemplateResponse(request, "admin/ecomcms_content/prompttemplate/preview.html", {
            **self.admin_site.each_context(request), "title": f"Preview {template}", "form": form,
            "template_obj": template, "opts": self.model._meta,
        })


@admin.register(TemplatePreview)
class TemplatePreviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    allow_delete = True
    list_display = ("template", "product", "status", "created_at")
    list_select_related = ("template", "product")
    readonly_fields = ("template", "product", "status", "text", "provenance", "error", "requested_by", "created_at")
    change_form_template = "admin/ecomcms_content/templatepreview/change_form.html"


# --- Jobs -----------------------------------------------------------------------------------

def progress_bar(done: int, failed: int, total: int):
    percent = round(100 * done / total) if total else 100
    return format_html(
        '<div class="ecomcms-progress" title="{}/{} done, {} failed"><progress max="{}" value="{}"></progress> '
        "{}% &middot; {} / {} done{}</div>",
        done,
        total,
        failed,
        total or 1,
        done,
        percent,
        done,
        total,
        format_html(", <b>{} failed</b>", failed) if failed else "",
    )


@admin.register(GenerationJob)
class GenerationJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    allow_delete = True
    list_display = ("id", "kind", "description", "requested_by", "created_at", "progress")
    list_filter = ("kind",)
    readonly_fields = ("kind", "description", "requested_by", "created_at", "total", "progress", "drafts_link")
    change_form_template = "admin/ecomcms_content/generationjob/change_form.html"

    def get_queryset(self, request):
        return selectors.jobs_with_progress().select_related("requested_by")

    @admin.display(description="Progress")
    def progress(self, obj):
        return progress_bar(obj.done, obj.failed, obj.total)

    @admin.display(description="Drafts")
    def drafts_link(self, obj):
        url = reverse("admin:ecomcms_content_draft_changelist") + f"?job__id__exact={obj.pk}"
        return format_html('<a href="{}">Show the drafts of this job</a>', url)


# --- Drafts and review ----------------------------------------------------------------------

CHECK_NAMES = tuple(checks.CHECK_NAMES) + (summaries.SUPPORT_CHECK,)


class FailedCheckFilter(admin.SimpleListFilter):
    title = "failed check"
    parameter_name = "failed_check"

    def lookups(self, request, model_admin):
        return [("any", "Any check failed"), ("none", "All checks passed")] + [
            (n, n.replace("_", " ")) for n in CHECK_NAMES
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.filter(checks_passed=False)
        if value == "none":
            return queryset.filter(checks_passed=True)
        if value in CHECK_NAMES:
            return (
                queryset.filter(checks__contains=[{"name": value, "passed": False}])
                if _json_contains()
                else queryset.filter(checks_passed=False, checks__icontains=f'"name": "{value}", "passed": false')
            )
        return queryset


def _json_contains() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def _badge(state: str, label: str, title: str):
    """One check as a badge: colour, an icon and words, so a failure never looks like a pass.

    The icon is decoration (hidden from screen readers); the words say the state.
    """
    icon, word = {"failed": ("✗", "failed"), "passed": ("✓", "passed"), "pending": ("…", "pending")}[state]
    return format_html('<span class="ecomcms-badge {}" title="{}"><span aria-hidden="true">{}</span> {} {}</span>',
                       state, title, icon, label, word)


def _is_pending(result: dict) -> bool:
    """A check that waits for a worker (the near-duplicate check says so only in its message)."""
    return bool(result.get("pending")) or (result["name"] == "near_duplicate"
                                           and result.get("message", "").startswith("Not compared yet"))


def check_badges(draft: Draft):
    """A badge per failed or pending check, and one for the checks that passed."""
    results = draft.checks or []
    if draft.checks_passed is None or not results:
        return format_html('<span class="ecomcms-badge none">{}</span>', "not checked")
    failed = [r for r in results if not r["passed"]]
    pending = [r for r in results if r["passed"] and _is_pending(r)]
    passed = [r for r in results if r["passed"] and not _is_pending(r)]
    badges = [_badge("failed", r["name"].replace("_", " "), r.get("message", "")) for r in failed]
    badges += [_badge("pending", r["name"].replace("_", " "), r.get("message", "")) for r in pending]
    if passed:
        label = "all checks" if not failed and not pending else f"{len(passed)} other"
        badges.append(_badge("passed", label, ", ".join(r["name"].replace("_", " ") for r in passed)))
    return format_html('<span class="ecomcms-badges">{}</span>', format_html_join(" ", "{}", ((b,) for b in badges)))


EXCERPT_CHARS = 90


def text_excerpt(text: str, limit: int = EXCERPT_CHARS):
    """The start of a text for a list, the whole text in the tooltip."""
    text = " ".join((text or "").split())
    if not text:
        return format_html('<span class="ecomcms-muted">{}</span>', "(no text yet)")
    short = text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
    return format_html('<span class="ecomcms-excerpt" title="{}">{}</span>', text, short)


def short_model_id(model_id: str):
    """The model's own name (after the last slash), cut with an ellipsis; the full id in the tooltip."""
    if not model_id:
        return "-"
    return format_html(
        '<span class="ecomcms-model" title="{}">{}</span>', model_id, model_id.rstrip("/").rsplit("/", 1)[-1]
    )


class DraftEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DraftEvent
    extra = 0
    fields = ("at", "actor", "from_status", "to_status", "comment")
    readonly_fields = fields
    can_delete = False


class DraftForm(forms.ModelForm):
    class Meta:
        model = Draft
        fields = ("editor_text",)
        widgets = {"editor_text": forms.Textarea(attrs={"rows": 8, "cols": 100})}


@admin.register(Draft)
class DraftAdmin(admin.ModelAdmin):
    form = DraftForm
    # Few, dense columns so the list fits 1280 px beside the admin's sidebars.
    list_display = ("product", "request", "status", "text_and_checks", "due_at")
    list_filter = ("status", "kind", FailedCheckFilter, "product__category", "template", "model_id", "job")
    search_fields = ("product__sku", "product__title", "ai_text", "editor_text")
    list_select_related = ("product", "template")
    ordering = ("due_at", "generated_at", "pk")
    date_hierarchy = "created_at"
    actions = ["bulk_approve", "retry_failed"]
    inlines = [DraftEventInline]
    change_form_template = "admin/ecomcms_content/draft/change_form.html"

    class Media:
        css = {"all": ("content/review.css",)}  # badges and excerpts in the lists

    readonly_fields = (
        "product",
        "kind",
        "variant",
        "status",
        "template",
        "job",
        "regenerates",
        "feedback",
        "ai_text",
        "model_id",
        "strategy",
        "strategy_details",
        "generation_options",
        "input_hash",
        "tokens_in",
        "tokens_out",
        "seconds",
        "worker",
        "generated_at",
        "failure_reason",
        "attempts",
        "due_at",
        "publish_at",
        "created_at",
        "customer_reports",
    )
    fieldsets = (
        (None, {"fields": ("editor_text",)}),
        (
            "Provenance",
            {
                "classes": ("collapse",),
                "fields": (
                    "product",
                    "kind",
                    "variant",
                    "status",
                    "template",
                    "job",
                    "regenerates",
                    "feedback",
                    "model_id",
                    "strategy",
                    "strategy_details",
                    "generation_options",
                    "input_hash",
                    "tokens_in",
                    "tokens_out",
                    "seconds",
                    "worker",
                    "generated_at",
                    "attempts",
                    "failure_reason",
                    "due_at",
                    "publish_at",
                    "created_at",
                ),
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.revision_id:  # a revision request: the editor sees what customers said first
            return (("Customers misled by the current copy", {"fields": ("customer_reports",)}),) + tuple(fieldsets)
        return fieldsets

    @admin.display(description="Reports")
    def customer_reports(self, obj):
        return revision_reports_html(obj.revision) if obj.revision_id else "-"

    @admin.display(description="Checks")
    def badges(self, obj):
        return check_badges(obj)

    @admin.display(description="Text")
    def excerpt(self, obj):
        return text_excerpt(obj.text)

    @admin.display(description="Text and checks")
    def text_and_checks(self, obj):
        return format_html('{}<div class="ecomcms-meta">{}</div>', text_excerpt(obj.text), check_badges(obj))

    @admin.display(description="Request", ordering="kind")
    def request(self, obj):
        """Kind and variant, then template version and model; kinds with variants link to all of them."""
        together = self.variants_link(obj) if KIND_VARIANTS.get(obj.kind, 1) > 1 else ""
        return format_html('{} #{}<div class="ecomcms-meta">v{} · {}</div>{}', obj.get_kind_display(), obj.variant,
                           obj.template.version, short_model_id(obj.model_id),
                           format_html('<div class="ecomcms-meta">{}</div>', together) if together else "")

    @admin.display(description="Model", ordering="model_id")
    def model_short(self, obj):
        return short_model_id(obj.model_id)

    @admin.display(description="Variants")
    def variants_link(self, obj):
        if KIND_VARIANTS.get(obj.kind, 1) < 2:
            return "-"
        url = reverse("admin:ecomcms_content_draft_variants", args=[obj.pk])
        return format_html('<a href="{}">all {} variants together</a>', url, KIND_VARIANTS[obj.kind])

    @admin.display(description="Template", ordering="template__version")
    def template_version(self, obj):
        return f"v{obj.template.version}"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        editable = obj is not None and obj.status in (DraftStatus.IN_REVIEW, DraftStatus.APPROVED)
        if editable and request.user.has_perm("ecomcms_content.change_draft"):
            return self.readonly_fields
        return ("editor_text",) + self.readonly_fields

    def save_model(self, request, obj, form, change):
        if "editor_text" in form.changed_data:
            services.draft_edit(draft=obj, actor=request.user, text=form.cleaned_data["editor_text"])

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ContentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(review_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide_view), name="ecomcms_content_draft_decide"),
            path(
                "<int:pk>/variants/",
                self.admin_site.admin_view(self.variants_view),
                name="ecomcms_content_draft_variants",
            ),
        ] + super().get_urls()

    def variants_view(self, request, pk):
        """All variants of one request (e.g. the three search-ad headlines) on one page, each with its decision."""
        draft = get_object_or_404(Draft.objects.select_related("product", "template"), pk=pk)
        if not self.has_view_permission(request, draft):
            raise PermissionDenied
        cards = [variant_context(request, variant) for variant in selectors.draft_variants(draft)]
        return TemplateResponse(
            request,
            "admin/ecomcms_content/draft/variants.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Variants: {draft.get_kind_display()} for {draft.product}",
                "draft": draft,
                "product": draft.product,
                "cards": cards,
                "opts": self.model._meta,
                "published": selectors.product_published_copy(draft.product).filter(kind=draft.kind),
            },
        )

    def decide_view(self, request, pk):
        """The review buttons: approve, approve and publish, publish, request changes, reject, retry."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:ecomcms_content_draft_change", args=[pk]))
        draft = get_object_or_404(Draft, pk=pk)
        decision = request.POST.get("decision")
        comment = request.POST.get("comment", "").strip()
        back = reverse("admin:ecomcms_content_draft_variants" if request.POST.get("return_to") == "variants"
                       else "admin:ecomcms_content_draft_change", args=[pk])
        try:
            done = self._decide(draft, decision, actor=request.user, comment=comment)
        except services.ContentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(back)
        if done is None:
            self.message_user(request, "Unknown decision.", messages.ERROR)
            return HttpResponseRedirect(back)
        draft.refresh_from_db()  # the message names the draft's new status, not the one it had
        self.message_user(request, f"{done}: {draft}.", messages.SUCCESS)
        if request.POST.get("return_to") == "variants":
            return HttpResponseRedirect(reverse("admin:ecomcms_content_draft_variants", args=[pk]))
        next_draft = selectors.drafts_for_review().exclude(pk=pk).first()
        if next_draft and decision != "retry":
            return HttpResponseRedirect(reverse("admin:ecomcms_content_draft_change", args=[next_draft.pk]))
        return HttpResponseRedirect(reverse("admin:ecomcms_content_reviewqueue_changelist"))

    @staticmethod
    def _decide(draft: Draft, decision: str | None, *, actor, comment: str) -> str | None:
        """Run one review button's service; returns what to tell the reviewer (None: no such button)."""
        if decision == "approve":
            services.draft_approve(draft=draft, actor=actor, comment=comment)
            return "Approved"
        if decision == "approve_publish":
            services.draft_approve_and_publish(draft=draft, actor=actor, comment=comment)
            return "Approved and published"
        if decision == "publish":
            services.draft_publish(draft=draft, actor=actor)
            return "Published"
        if decision == "request_changes":
            services.draft_request_changes(draft=draft, actor=actor, comment=comment)
            return "Changes requested; a new draft is queued with your comment"
        if decision == "reject":
            services.draft_reject(draft=draft, actor=actor, reason=comment)
            return "Rejected"
        if decision == "retry":
            services.draft_retry(draft=draft, actor=actor)
            return "Queued again"
        return None

    @admin.action(description="Approve the selected drafts whose checks all passed")
    def bulk_approve(self, request, queryset):
        try:
            approved, skipped = services.drafts_bulk_approve(drafts=queryset, actor=request.user)
        except services.NotAllowed as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Approved {approved} drafts.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"Skipped {skipped} drafts that were not in review or had failed checks.", messages.WARNING
            )

    @admin.action(description="Retry the selected failed drafts")
    def retry_failed(self, request, queryset):
        done, failures = 0, []
        for draft in queryset:
            try:
                services.draft_retry(draft=draft, actor=request.user)
                done += 1
            except services.ContentError as exc:
                failures.append(f"{draft}: {exc}")
        report_outcome(self, request, done, failures, "Queued again")


@admin.register(ReviewQueue)
class ReviewQueueAdmin(DraftAdmin):
    """Drafts in review, oldest due first; opening one leads to the same review page."""

    list_display = ("product", "request", "text_and_checks", "due_at")
    list_filter = ("kind", FailedCheckFilter, "product__category", "template", "model_id")

    def get_queryset(self, request):
        return selectors.drafts_for_review()

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ecomcms_content.view_draft")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("ecomcms_content.change_draft")

    def has_module_permission(self, request):
        return request.user.has_perm("ecomcms_content.view_draft")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:ecomcms_content_draft_change", args=[object_id]))


def _check_rows(draft: Draft) -> list[dict]:
    from content.checks import highlight

    text = draft.editor_text or draft.ai_text
    return [{**result, "pending": _is_pending(result), "highlighted": highlight(text, result.get("spans") or [])}
            for result in (draft.checks or [])]


def review_context(request, draft: Draft) -> dict:
    """Everything the review page shows next to the form."""
    user = request.user
    is_summary = draft.kind == CopyKind.REVIEW_SUMMARY
    return {
        "draft": draft,
        "product": draft.product,
        "published": selectors.product_published_copy(draft.product).filter(kind=draft.kind),
        "diff": text_diff(draft.ai_text, draft.editor_text) if draft.editor_text else None,
        "check_rows": _check_rows(draft),
        "badges": check_badges(draft),
        "is_summary": is_summary,
        "summarized_reviews": summaries.reviews_sample(list(draft.summarized_reviews.all()), limit=10**6)
        if is_summary
        else (),
        "variants_url": reverse("admin:ecomcms_content_draft_variants", args=[draft.pk])
        if KIND_VARIANTS.get(draft.kind, 1) > 1
        else "",
        "can_review": user.has_perm("ecomcms_content.review_draft") and draft.status == DraftStatus.IN_REVIEW,
        "can_publish": user.has_perm("ecomcms_content.publish_draft"),
        "can_publish_now": user.has_perm("ecomcms_content.publish_draft") and draft.status == DraftStatus.APPROVED,
        "can_retry": user.has_perm("ecomcms_content.request_generation") and draft.status == DraftStatus.FAILED,
        "decide_url": reverse("admin:ecomcms_content_draft_decide", args=[draft.pk]),
        "regenerates": draft.regenerates,
        "regenerated_as": list(draft.regenerations.order_by("pk")),
    }


def variant_context(request, draft: Draft) -> dict:
    """One card of the variants page: the text, its checks and its own decision buttons."""
    context = review_context(request, draft)
    context["form_id"] = f"decide-{draft.pk}"
    return context


@admin.register(PublishedCopy)
class PublishedCopyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("product", "kind", "variant", "short_text", "published_by", "published_at", "superseded_at")
    list_filter = ("kind", ("superseded_at", admin.EmptyFieldListFilter))
    search_fields = ("product__sku", "text")
    list_select_related = ("product", "published_by")
    readonly_fields = ("product", "kind", "variant", "text", "draft", "published_by", "published_at", "superseded_at")

    @admin.display(description="Text")
    def short_text(self, obj):
        return obj.text[:80] + ("…" if len(obj.text) > 80 else "")


@admin.register(AttributeTerm)
class AttributeTermAdmin(admin.ModelAdmin):
    """The vocabularies guarded generation keeps to: a product may only be said to have the terms its facts hold."""

    list_display = ("term", "vocabulary", "synonyms", "is_active")
    list_filter = ("vocabulary", "is_active")
    list_editable = ("is_active",)
    search_fields = ("term", "synonyms")


@admin.register(BannedPhrase)
class BannedPhraseAdmin(admin.ModelAdmin):
    list_display = ("phrase", "note", "is_active")
    list_filter = ("is_active",)
    search_fields = ("phrase",)

from content import admin_analytics  # noqa: E402,F401  (registers Content > Editor decisions)
from content.admin_revisions import revision_reports_html  # noqa: E402  (registers Content > Copy revisions)
