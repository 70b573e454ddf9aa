"""Support in the Django admin: the triage queue, the ticket page with its decisions, the knowledge base.

Every button and action calls a service; nothing here writes a ticket itself.
Customer text is only ever rendered through Django's escaping (templates and
``format_html``).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header

from ecomcms.admin_utils import ReadOnlyAdminMixin, report_outcome
from ecomcms.finetune import selectors as finetune_selectors, services as finetune_services
from privacy.actions import CustomerDataActions
from support import checks, selectors, services
from support.intent_finetuning import PURPOSE as INTENT_PURPOSE
from support.models import (
    Attachment,
    CannedResponse,
    Confidence,
    InboundEmail,
    Intent,
    IntentLabel,
    KnowledgeArticle,
    Message,
    Priority,
    PriorityRule,
    Queue,
    ReplySuggestion,
    Sentiment,
    SuggestionRates,
    Ticket,
    TicketEvent,
    TicketStatus,
    TriageQueue,
    UnsureTicket,
)
from support.privacy import mask_cards


def handlers():
    """Active users who may handle tickets (directly, through a group, or as superusers)."""
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__codename="handle_ticket", user_permissions__content_type__app_label="ecomcms_support")
            | Q(
                groups__permissions__codename="handle_ticket",
                groups__permissions__content_type__app_label="ecomcms_support",
            )
        )
        .distinct()
        .order_by("username")
    )


# --- Configuration: queues, intents, rules, knowledge -------------------------------------------------

@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "first_response_hours", "resolution_hours", "is_default")


@admin.register(Intent)
class IntentAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "queue", "reply_strategy", "is_active", "example_count")
    list_filter = ("is_active", "category", "queue", "reply_strategy")
    search_fields = ("name", "description", "category")
    list_select_related = ("queue",)

    @admin.display(description="Examples")
    def example_count(self, obj):
        return len(obj.examples or [])


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "priority", "position", "is_active", "conditions")
    list_editable = ("position", "is_active")
    list_filter = ("priority", "is_active")

    @admin.display(description="Conditions")
    def conditions(self, obj):
        parts = []
        if obj.intents:
            parts.append("intent in " + ", ".join(map(str, obj.intents)))
        if obj.sentiments:
            parts.append("sentiment in " + ", ".join(map(str, obj.sentiments)))
        if obj.requires_order_reference:
            parts.append("names an order")
        if obj.keywords:
            parts.append("words: " + ", ".join(map(str, obj.keywords[:6])) + ("…" if len(obj.keywords) > 6 else ""))
        return "; ".join(parts) or "(always)"


class KnowledgeAdminMixin:
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.knowledge_changed()  # the default worker re-embeds it


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(KnowledgeAdminMixin, admin.ModelAdmin):
    list_display = ("title", "is_published", "url", "embedded", "updated_at")
    list_filter = ("is_published",)
    search_fields = ("title", "body")

    @admin.display(description="Embedded", boolean=True)
    def embedded(self, obj):
        return bool(obj.embedding_model)


@admin.register(CannedResponse)
class CannedResponseAdmin(KnowledgeAdminMixin, admin.ModelAdmin):
    list_display = ("title", "queue", "intent", "language", "is_active")
    list_filter = ("queue", "is_active", "intent", "language")
    search_fields = ("title", "body")
    list_select_related = ("queue",)


# --- The triage queue ----------------------------------------------------------------------------------

class SLABreachFilter(admin.SimpleListFilter):
    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("breached", "Breached or overdue"), ("ok", "Within SLA"), ("due_4h", "Due within 4 hours")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "breached":
            return queryset.filter(selectors.sla_breached_q(now))
        if self.value() == "ok":
            return queryset.exclude(selectors.sla_breached_q(now))
        if self.value() == "due_4h":
            return queryset.exclude(selectors.sla_breached_q(now)).filter(
                first_responded_at__isnull=True, first_response_due__lte=now + timedelta(hours=4))
        return queryset


class IntentFilter(admin.SimpleListFilter):
    title = "intent"
    parameter_name = "intent"

    def lookups(self, request, model_admin):
        names = set(Intent.objects.values_list("name", flat=True)) | set(
            Ticket.objects.exclude(intent="").values_list("intent", flat=True).distinct()[:200])
        return [("__none__", "(none)")] + [(n, n) for n in sorted(names)]

    def queryset(self, request, queryset):
        if self.value() == "__none__":
            return queryset.filter(intent="")
        if self.value():
            return queryset.filter(intent=self.value())
        return queryset


class ConfidenceFilter(admin.SimpleListFilter):
    title = "intent confidence"
    parameter_name = "confidence"

    def lookups(self, request, model_admin):
        return Confidence.choices

    def queryset(self, request, queryset):
        return queryset.filter(intent_confidence=self.value()) if self.value() else queryset


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="(nobody: unassign)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = handlers()


def _badge(text: str, kind: str):
    return format_html('<span class="support-badge {}">{}</span>', kind, text)


class TicketEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketEvent
    extra = 0
    fields = ("at", "actor", "kind", "from_value", "to_value", "comment")
    readonly_fields = fields
    can_delete = False
    classes = ("collapse",)


@admin.register(Ticket)
class TicketAdmin(CustomerDataActions, admin.ModelAdmin):
    list_display = ("public_id", "short_subject", "status", "priority_badge", "intent_badge", "sentiment", "language",
                    "queue", "assignee", "sla", "suggestion_state", "created_at")
    list_display_links = ("public_id", "short_subject")
    list_filter = ("status", "priority", IntentFilter, ConfidenceFilter, SLABreachFilter, "needs_human_triage",
                   ("assignee", admin.RelatedOnlyFieldListFilter), "queue", "channel", "sentiment", "language")
    search_fields = ("public_id", "subject", "customer_email", "customer_name", "order_reference", "customer_id")
    list_per_page = 50
    actions = ["assign_selected", "retriage_selected", "solve_selected", "export_customer_data", "erase_customer_data"]
    inlines = [TicketEventInline]
    change_form_template = "admin/ecomcms_support/ticket/change_form.html"

    class Media:
        css = {"all": ("support/support.css",)}
    readonly_fields = ("public_id", "customer_email", "customer_name", "customer_id", "order_reference", "subject",
                       "channel", "status", "queue", "assignee", "created_at", "triage_status", "triage_error",
                       "triage_seconds", "triaged_at", "triage_details")
    fieldsets = (
        ("Triage details", {"classes": ("collapse",), "fields": (
            "triage_status", "triage_error", "triage_seconds", "triaged_at", "triage_details")}),
    )

    def get_queryset(self, request):
        latest = ReplySuggestion.objects.filter(ticket=OuterRef("pk")).exclude(
            status=ReplySuggestion.Status.SUPERSEDED).order_by("-created_at", "-pk")
        # Not super(): it orders by get_ordering() before the priority rank is annotated.
        return selectors.tickets_queue(self.model._default_manager.get_queryset()).annotate(
            _suggestion_status=Subquery(latest.values("status")[:1]),
            _suggestion_decision=Subquery(latest.values("decision")[:1]),
        )

    def get_ordering(self, request):
        return ["priority_rank", "first_response_due", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Subject", ordering="subject")
    def short_subject(self, obj):
        subject = mask_cards(obj.subject)
        return subject[:70] + ("…" if len(subject) > 70 else "")

    @admin.display(description="Priority", ordering="priority_rank")
    def priority_badge(self, obj):
        return _badge(obj.get_priority_display(), f"priority-{obj.priority}")

    @admin.display(description="Intent", ordering="intent")
    def intent_badge(self, obj):
        if obj.needs_human_triage:
            return format_html('{} {}', obj.intent or "?", _badge("needs a person", "flag"))
        if not obj.intent:
            return "-"
        return format_html("{} {}", obj.intent, _badge(obj.get_intent_confidence_display() or "-",
                                                       f"confidence-{obj.intent_confidence or 'none'}"))

    @admin.display(description="SLA", ordering="first_response_due")
    def sla(self, obj):
        if obj.sla_breached():
            return _badge("breached", "flag")
        due = obj.first_response_due if obj.first_responded_at is None else obj.resolution_due
        if due is None or not obj.is_open:
            return "-"
        return format_html('<span title="{}">due {}</span>', due, timezone.localtime(due).strftime("%d %b %H:%M"))

    @admin.display(description="Suggestion")
    def suggestion_state(self, obj):
        status, decision = getattr(obj, "_suggestion_status", None), getattr(obj, "_suggestion_decision", "")
        if decision:
            return ReplySuggestion.Decision(decision).label
        if status == ReplySuggestion.Status.READY:
            return _badge("ready", "ok")
        return ReplySuggestion.Status(status).label if status else "-"

    # --- actions ---

    @admin.action(description="Assign the selected tickets…")
    def assign_selected(self, request, queryset):
        if "apply" in request.POST:
            form = AssignForm(request.POST)
            if form.is_valid():
                try:
                    changed = services.ticket_assign(tickets=list(queryset), assignee=form.cleaned_data["assignee"],
                                                     actor=request.user)
                except services.SupportError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                    return None
                who = form.cleaned_data["assignee"] or "nobody"
                self.message_user(request, f"Assigned {changed} ticket(s) to {who}.", messages.SUCCESS)
                return None
        else:
            form = AssignForm()
        return TemplateResponse(request, "admin/ecomcms_support/ticket/assign.html", {
            **self.admin_site.each_context(request), "title": "Assign tickets", "form": form, "queryset": queryset,
            "opts": self.model._meta, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "action": request.POST.get("action", "assign_selected"),
        })

    @admin.action(description="Run triage again on the selected tickets")
    def retriage_selected(self, request, queryset):
        done, failures = 0, []
        for ticket in queryset:
            try:
                services.ticket_retriage(ticket=ticket, actor=request.user)
                done += 1
            except services.SupportError as exc:
                failures.append(f"{ticket.public_id}: {exc}")
        report_outcome(self, request, done, failures, "Queued for triage")

    @admin.action(description="Mark the selected tickets solved")
    def solve_selected(self, request, queryset):
        done, failures = 0, []
        for ticket in queryset:
            try:
                services.ticket_transition(ticket=ticket, to_status=TicketStatus.SOLVED, actor=request.user)
                done += 1
            except services.SupportError as exc:
                failures.append(f"{ticket.public_id}: {exc}")
        report_outcome(self, request, done, failures, "Solved")

    # --- the ticket page ---

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False,
                         "show_save_and_add_another": False, "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(ticket_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path("<int:pk>/act/", self.admin_site.admin_view(self.act_view), name="ecomcms_support_ticket_act"),
            path("<int:pk>/attachments/<int:attachment_pk>/", self.admin_site.admin_view(self.attachment_view),
                 name="ecomcms_support_ticket_attachment"),
        ] + super().get_urls()

    def attachment_view(self, request, pk, attachment_pk):
        """A file of a customer's email, as a download only (never rendered by the browser), for staff who may
        see the ticket."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        attachment = selectors.ticket_attachment(ticket_id=pk, attachment_id=attachment_pk)
        if attachment is None:
            raise Http404("no such attachment on this ticket")
        response = HttpResponse(bytes(attachment.data), content_type="application/octet-stream")
        response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def act_view(self, request, pk):
        """The buttons of the ticket page; each calls one service (``_act``)."""
        back = HttpResponseRedirect(reverse("admin:ecomcms_support_ticket_change", args=[pk]))
        if request.method != "POST":
            return back
        if not request.user.has_perm(services.PERMISSION):
            raise PermissionDenied
        ticket = get_object_or_404(Ticket, pk=pk)
        try:
            done = self._act(request, ticket, request.POST.get("action", ""))
        except services.SupportError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return back
        if done is None:
            self.message_user(request, "Unknown action.", messages.ERROR)
            return back
        self.message_user(request, done, messages.SUCCESS)
        return back

    @staticmethod
    def _act(request, ticket: Ticket, action: str) -> str | None:
        """Run one button of the ticket page; returns what to tell the agent (None: no such button)."""
        post, actor = request.POST, request.user
        status_after = post.get("status_after") or TicketStatus.WAITING

        def suggestion() -> ReplySuggestion:
            return get_object_or_404(ReplySuggestion, pk=post.get("suggestion"), ticket=ticket)

        if action == "accept":
            services.suggestion_accept(suggestion=suggestion(), actor=actor, status_after=status_after,
                                       confirm_flags=post.getlist("confirm_flags"))
            return "Sent the suggested reply to the customer."
        if action == "edit":
            services.suggestion_edit_and_send(suggestion=suggestion(), actor=actor, text=post.get("text", ""),
                                              status_after=status_after, confirm_flags=post.getlist("confirm_flags"))
            return "Sent your edited reply to the customer."
        if action == "reject":
            services.suggestion_reject(suggestion=suggestion(), actor=actor, reason=post.get("reason", ""))
            return "Rejected the suggestion."
        if action == "suggest":
            services.suggestion_request(ticket=ticket, actor=actor)
            return "A new reply is being suggested; reload in a moment."
        if action == "reply":
            services.ticket_reply(ticket=ticket, actor=actor, body=post.get("body", ""), status_after=status_after)
            return "Sent your reply to the customer."
        if action == "note":
            services.ticket_reply(ticket=ticket, actor=actor, body=post.get("body", ""), internal=True)
            return "Added an internal note."
        if action == "status":
            services.ticket_transition(ticket=ticket, to_status=post.get("status", ""), actor=actor,
                                       comment=post.get("comment", ""))
            return "Status changed."
        if action == "override":
            services.ticket_override_prediction(ticket=ticket, field=post.get("field", ""), value=post.get("value", ""),
                                                actor=actor)
            return "Prediction set; an intent you set becomes a training label."
        if action == "assign":
            assignee = get_object_or_404(handlers(), pk=post["assignee"]) if post.get("assignee") else None
            services.ticket_assign(tickets=[ticket], actor=actor, assignee=assignee)
            return "Assignment changed."
        if action == "retriage":
            services.ticket_retriage(ticket=ticket, actor=actor)
            return "Triage queued again; reload in a moment."
        return None


def suggestion_grounding(suggestion: ReplySuggestion | None) -> list[tuple]:
    """The articles a suggestion is grounded in, with their source entry, best retrieval score first."""
    if suggestion is None:
        return []
    sources = {s.get("id"): s for s in suggestion.sources if s.get("kind") == "article"}
    pairs = [(article, sources.get(article.pk, {})) for article in suggestion.articles.all()]
    return sorted(pairs, key=lambda pair: (pair[1].get("similarity") is None, -(pair[1].get("similarity") or 0),
                                           pair[0].title))


def ticket_context(request, ticket: Ticket) -> dict:
    """Everything the ticket page shows above the (read-only) form."""
    suggestion = selectors.ticket_latest_suggestion(ticket)
    can_handle = request.user.has_perm(services.PERMISSION)
    predictions = []
    choices = {"sentiment": Sentiment.choices, "priority": Priority.choices,
               "intent": [(n, n) for n in Intent.objects.filter(is_active=True).values_list("name", flat=True)]}
    for field in services.OVERRIDABLE:
        predictions.append(
            {
                "field": field,
                "value": getattr(ticket, field),
                "confidence": getattr(ticket, f"get_{field}_confidence_display")(),
                "confidence_key": getattr(ticket, f"{field}_confidence"),
                "set_by": getattr(ticket, f"{field}_set_by"),
                "choices": choices.get(field),
            }
        )
    thread = list(selectors.ticket_thread(ticket, include_notes=True).prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.defer("data"))))
    for message in thread:
        message.shown_body = mask_cards(message.body)  # staff see "**** **** **** 4242", as the model's input hides it
    ready = suggestion is not None and suggestion.status == ReplySuggestion.Status.READY and not suggestion.decision
    return {
        "ticket": ticket,
        "shown_subject": mask_cards(ticket.subject),
        "thread": thread,
        "send_blockers": services.reply_send_blockers(ticket, suggestion.text) if ready else [],
        "flags_to_confirm": checks.flags_to_confirm(suggestion.flags) if ready else [],
        "predictions": predictions,
        "suggestion": suggestion,
        "suggestion_articles": suggestion_grounding(suggestion),
        "can_handle": can_handle,
        "can_decide": can_handle
        and suggestion is not None
        and suggestion.status == ReplySuggestion.Status.READY
        and not suggestion.decision
        and ticket.status != TicketStatus.CLOSED,
        "transitions": [
            (s, TicketStatus(s).label) for s in TicketStatus.values if s in services.TRANSITIONS[ticket.status]
        ],
        "handlers": handlers() if can_handle else [],
        "status_after_choices": [
            (TicketStatus.WAITING, "then wait on the customer"),
            (TicketStatus.OPEN, "keep open"),
            (TicketStatus.SOLVED, "and mark solved"),
        ],
        "sla_breached": ticket.sla_breached(),
        "act_url": reverse("admin:ecomcms_support_ticket_act", args=[ticket.pk]),
        "message_kinds": Message.Author,
        "copy_revisions": list(ticket.copy_revisions.select_related("product")),
        "language_note": services.reply_language(ticket).note,
    }


@admin.register(TriageQueue)
class TriageQueueAdmin(TicketAdmin):
    """Tickets the model was not sure about; opening one leads to the ticket page, where a person sets the intent."""

    list_filter = ("status", "priority", SLABreachFilter, ("assignee", admin.RelatedOnlyFieldListFilter), "queue")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(needs_human_triage=True, status__in=selectors.OPEN_STATUSES)

    def has_module_permission(self, request):
        return request.user.has_perm("ecomcms_support.view_ticket")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ecomcms_support.view_ticket")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("ecomcms_support.change_ticket")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:ecomcms_support_ticket_change", args=[object_id]))


# --- Suggestions, rates, labels, models --------------------------------------------------------------------

@admin.register(ReplySuggestion)
class ReplySuggestionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    allow_delete = True
    list_display = (
        "pk",
        "ticket",
        "status",
        "decision",
        "decided_by",
        "strategy",
        "model_id",
        "tokens_out",
        "seconds",
        "created_at",
    )
    list_filter = ("status", "decision", "strategy", "model_id", "prompt_version")
    search_fields = ("ticket__public_id", "text", "sent_text", "reject_reason")
    list_select_related = ("ticket", "decided_by")
    readonly_fields = [f.name for f in ReplySuggestion._meta.fields] + ["articles", "canned_responses"]


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every email taken in from the support mailbox and what it became; skipped and quarantined ones say why."""

    list_display = ("received_at", "outcome", "masked_subject", "from_address", "ticket", "short_reason", "size")
    list_filter = ("outcome", "truncated")
    search_fields = ("ticket__public_id", "from_address", "message_key")
    list_select_related = ("ticket",)
    fields = readonly_fields = (
        "received_at", "outcome", "reason", "ticket", "customer_message", "from_address", "masked_subject",
        "message_id", "message_key", "in_reply_to", "references", "size", "truncated", "defects", "mailbox", "uid",
        "uidvalidity", "fingerprint",
    )

    @admin.display(description="Subject")
    def masked_subject(self, obj):
        return mask_cards(obj.subject)

    @admin.display(description="Reason")
    def short_reason(self, obj):
        return obj.reason[:80]


@admin.register(SuggestionRates)
class SuggestionRatesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A report, not a list: acceptance, edit and rejection rates of suggested replies per intent."""

    def get_urls(self):
        # The report only: the pages of a single row answered a 500 (its ticket field is ordered by the ticket
        # list's annotation), and ReplySuggestionAdmin shows suggestions one by one.
        return [url for url in super().get_urls() if url.name and url.name.endswith("_changelist")]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        rows = selectors.suggestion_rates_by_intent()
        width = 360
        for index, row in enumerate(rows):
            decided = row["decided"] or 1
            row["y"] = index * 26
            row["bars"] = []
            x = 0
            for key, colour in (("accepted", "#2e7d32"), ("edited", "#f9a825"), ("rejected", "#c62828")):
                w = round(width * row[key] / decided) if row["decided"] else 0
                row["bars"].append({"x": x, "w": w, "colour": colour, "label": key, "count": row[key]})
                x += w
        totals = {key: sum(r[key] for r in rows) for key in ("decided", "accepted", "edited", "rejected", "undecided")}
        return TemplateResponse(request, "admin/ecomcms_support/suggestionrates/report.html", {
            **self.admin_site.each_context(request), "title": "Suggested replies: decisions per intent",
            "rows": rows, "totals": totals, "chart_width": width, "chart_height": max(26, 26 * len(rows)),
            "opts": self.model._meta,
        })


@admin.register(IntentLabel)
class IntentLabelAdmin(admin.ModelAdmin):
    list_display = ("intent", "source", "short_text", "ticket", "created_by", "created_at")
    list_filter = ("source", "intent")
    search_fields = ("intent", "text", "ticket__public_id")
    list_select_related = ("ticket", "created_by")
    readonly_fields = ("ticket", "text", "intent", "source", "created_by", "created_at")

    change_list_template = "admin/ecomcms_support/intentlabel/change_list.html"

    @admin.display(description="Text (redacted)")
    def short_text(self, obj):
        return obj.text[:90] + ("…" if len(obj.text) > 90 else "")

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        last = finetune_selectors.adapter_latest(INTENT_PURPOSE)
        active = finetune_selectors.adapter_active(INTENT_PURPOSE)
        extra_context = {**(extra_context or {}), "label_count": IntentLabel.objects.count(),
                         "new_labels": selectors.intent_labels_new(since=last.created_at if last else None),
                         "last_version": last, "active_version": active,
                         "versions_url": reverse("admin:ecomcms_adapter_changelist") + f"?purpose={INTENT_PURPOSE}",
                         "can_train": request.user.has_perm(finetune_services.PERMISSION)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path("train/", self.admin_site.admin_view(self.train_view), name="ecomcms_support_intentlabel_train"),
        ] + super().get_urls()

    def train_view(self, request):
        """Queue a new version of the intent classifier on the training worker (it embeds every label)."""
        back = HttpResponseRedirect(reverse("admin:ecomcms_support_intentlabel_changelist"))
        if request.method != "POST":
            return back
        try:
            version = services.intent_model_training_request(actor=request.user)
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        if version.status == "failed":
            self.message_user(request, f"Training was not queued: the task queue (broker) did not answer. {version} "
                                       f"is marked failed; try again when it is back.", messages.ERROR)
            return back
        self.message_user(request, f"{version} queued on the training worker: it is compared with the active "
                                   f"version on the held-out slice and "
                                   + ("activated if not worse." if version.parameters.get("activate_if_better")
                                      else "waits for an operator to activate it."), messages.SUCCESS)
        return back


# --- The unsure queue: the labels that teach the intent model most --------------------------------------------

@admin.register(UnsureTicket)
class UnsureTicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tickets whose intent the model was unsure of or could not give, lowest confidence first; staff set the
    intent in one step (choose, *Set*), which records a label through the override service."""

    list_display = ("ticket_link", "short_subject", "model_guess", "confidence", "status", "created_at", "set_intent")
    list_filter = ("status", "queue")
    search_fields = ("public_id", "subject")
    list_per_page = 50
    actions = None

    class Media:
        css = {"all": ("support/support.css",)}

    def get_queryset(self, request):
        return selectors.tickets_unsure(self.model._default_manager.get_queryset())

    def get_ordering(self, request):
        return selectors.UNSURE_ORDER  # lowest confidence first (the changelist would re-order by its default)

    def has_module_permission(self, request):
        return request.user.has_perm("ecomcms_support.view_ticket")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("ecomcms_support.view_ticket")

    def changelist_view(self, request, extra_context=None):
        self._intents = list(Intent.objects.filter(is_active=True).order_by("name").values_list("name", flat=True))
        self._can_set = request.user.has_perm(services.PERMISSION)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:ecomcms_support_ticket_change", args=[object_id]))

    @admin.display(description="Ticket")
    def ticket_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:ecomcms_support_ticket_change", args=[obj.pk]),
                           obj.public_id)

    @admin.display(description="Subject")
    def short_subject(self, obj):
        subject = mask_cards(obj.subject)
        return subject[:70] + ("…" if len(subject) > 70 else "")

    @admin.display(description="Model's guess")
    def model_guess(self, obj):
        details = (obj.triage_details or {}).get("intent") or {}
        if obj.intent:
            return obj.intent
        if details.get("nearest_intent"):
            return format_html("{} {}", details["nearest_intent"], _badge("none of these", "flag"))
        return "-"

    @admin.display(description="Confidence", ordering="intent_score")
    def confidence(self, obj):
        return "-" if obj.intent_score is None else f"{obj.intent_score:.2f}"

    @admin.display(description="Set the intent")
    def set_intent(self, obj):
        if not getattr(self, "_can_set", False):
            return "-"
        guess = obj.intent or ((obj.triage_details or {}).get("intent") or {}).get("nearest_intent", "")
        options = format_html_join("", '<option value="{}"{}>{}</option>',
                                   ((name, " selected" if name == guess else "", name) for name in self._intents))
        action = reverse("admin:ecomcms_support_unsureticket_set_intent", args=[obj.pk])
        # The changelist is one form already: the button posts it to this ticket's URL (no nested forms).
        return format_html('<select name="intent-{}" aria-label="Intent of {}"><option value="">---</option>{}'
                           '</select> <button type="submit" class="button" formaction="{}">Set</button>',
                           obj.pk, obj.public_id, options, action)

    def get_urls(self):
        return [
            path("<path:object_id>/set-intent/", self.admin_site.admin_view(self.set_intent_view),
                 name="ecomcms_support_unsureticket_set_intent"),
        ] + super().get_urls()

    def set_intent_view(self, request, object_id):
        """One step: the intent chosen on the row becomes the ticket's, and a staff label (the override service)."""
        back = HttpResponseRedirect(reverse("admin:ecomcms_support_unsureticket_changelist"))
        if request.method != "POST":
            return back
        ticket = get_object_or_404(Ticket, pk=object_id)
        intent = (request.POST.get("intent") or request.POST.get(f"intent-{ticket.pk}") or "").strip()
        if not intent:
            self.message_user(request, f"{ticket.public_id}: choose an intent first.", messages.ERROR)
            return back
        try:
            services.ticket_override_prediction(ticket=ticket, field="intent", value=intent, actor=request.user)
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from exc
        except services.SupportError as exc:
            self.message_user(request, f"{ticket.public_id}: {exc}", messages.ERROR)
            return back
        self.message_user(request, f"{ticket.public_id}: intent set to {intent} (kept as a label).", messages.SUCCESS)
        return back


from support import admin_gaps  # noqa: E402,F401  (registers Support > Suggested articles)
