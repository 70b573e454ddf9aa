"""Export and erase customer data from another app's admin: ``CustomerDataActions``, a ModelAdmin mixin.

The support ticket admin inherits it (no model is registered here, so importing it has no side
effects); each action calls ``privacy.services`` once per customer of the selected tickets. Only users
with the dedicated permissions (or superusers) see them. Messages name tickets by their public id,
never by the customer's address.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from ecomcms.admin_utils import report_outcome
from privacy import selectors, services
from privacy.models import CustomerDataRequest
from privacy.pseudonyms import Customer, InvalidIdentifier, is_pseudonym

BUNDLE_SCHEMA = "ecomcms.customer-data-bundle"


class EraseForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), max_length=2000,
        help_text="Why, for the audit trail: e.g. “erasure request by email of 3 March”. Personal data in it is "
                  "redacted before it is stored.")
    confirm = forms.BooleanField(label="I understand that the erased data cannot be restored.")


def _customers_of(queryset) -> tuple[list[Customer], dict[Customer, list[str]]]:
    """The distinct customers (email, customer id) of the selected tickets, with their tickets' public ids.

    Tickets already erased (their email is a pseudonym) name nobody and are skipped.
    """
    customers: dict[Customer, list[str]] = {}
    rows = queryset.order_by("pk").values_list("public_id", "customer_email", "customer_id")
    for public_id, email, customer_id in rows:
        if is_pseudonym(email):
            continue
        try:
            customer = Customer.of(email=email, customer_id=customer_id)
        except InvalidIdentifier:
            customer = Customer.of(customer_id=customer_id) if customer_id else None
        if customer is not None:
            customers.setdefault(customer, []).append(public_id)
    return list(customers), customers


class CustomerDataActions:
    """Admin actions for a ModelAdmin of support tickets: export or erase the selected tickets' customers."""

    @admin.action(description="Export customer data (JSON)", permissions=["export_customer_data"])
    def export_customer_data(self, request, queryset):
        customers, tickets = _customers_of(queryset)
        if not customers:
            self.message_user(request, "The selected tickets name no customer (they were erased).", messages.WARNING)
            return None
        documents, failures = [], []
        for customer in customers:
            try:
                documents.append(services.customer_data_export(
                    email=customer.email, customer_id=customer.customer_id, actor=request.user,
                    via=CustomerDataRequest.Via.ADMIN))
            except services.PrivacyError as exc:
                failures.append(f"{', '.join(tickets[customer])}: {exc}")
        report_outcome(self, request, 0, failures, "Exported")
        if not documents:
            return None
        now = timezone.now()
        bundle = {"schema": BUNDLE_SCHEMA, "schema_version": selectors.EXPORT_SCHEMA_VERSION,
                  "generated_at": now.isoformat(), "customers": documents}
        response = HttpResponse(json.dumps(bundle, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="customer-data-{now:%Y%m%d-%H%M%S}.json"'
        return response

    @admin.action(description="Erase customer data…", permissions=["erase_customer_data"])
    def erase_customer_data(self, request, queryset):
        customers, tickets = _customers_of(queryset)
        if not customers:
            self.message_user(request, "The selected tickets name no customer (they were erased).", messages.WARNING)
            return None
        if "apply" in request.POST:
            form = EraseForm(request.POST)
            if form.is_valid():
                self._erase(request, customers, tickets, form.cleaned_data["reason"])
                return None
        else:
            form = EraseForm()
        plans = [{"customer": customer, "tickets": tickets[customer], "plan": selectors.customer_data_plan(customer)}
                 for customer in customers]
        return TemplateResponse(request, "admin/ecomcms_privacy/erase_confirmation.html", {
            **self.admin_site.each_context(request), "title": "Erase customer data", "form": form,
            "plans": plans, "queryset": queryset, "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "action": request.POST.get("action", "erase_customer_data"),
        })

    def _erase(self, request, customers: list[Customer], tickets: dict[Customer, list[str]], reason: str) -> None:
        done, failures, warnings, erased_emails = 0, [], [], set()
        for customer in customers:
            try:
                summary = services.customer_data_erase(
                    email=customer.email, customer_id=customer.customer_id, actor=request.user, reason=reason,
                    via=CustomerDataRequest.Via.ADMIN)
            except services.NothingMatches as exc:
                if customer.email not in erased_emails:  # else: erased with an earlier pair of the same address
                    failures.append(f"{', '.join(tickets[customer])}: {exc}")
                continue
            except services.PrivacyError as exc:
                failures.append(f"{', '.join(tickets[customer])}: {exc}")
                continue
            done += 1
            erased_emails.add(customer.email)
            warnings += summary.warnings
        report_outcome(self, request, done, failures, "Erased the data of customers")
        for warning in dict.fromkeys(warnings):
            self.message_user(request, warning, messages.WARNING)

    def has_export_customer_data_permission(self, request):
        return request.user.has_perm(services.EXPORT_PERMISSION)

    def has_erase_customer_data_permission(self, request):
        return request.user.has_perm(services.ERASE_PERMISSION)
