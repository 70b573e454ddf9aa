"""Customer data requests in the admin: the audit trail (read-only).

The export and erase actions for the ticket list are in ``privacy.actions`` (``CustomerDataActions``),
a mixin the support ticket admin inherits without importing this module's registrations.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q

from ecomcms.admin_utils import ReadOnlyAdminMixin
from privacy.models import CustomerDataRequest
from privacy.pseudonyms import identifier_hash


@admin.register(CustomerDataRequest)
class CustomerDataRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the audit trail is written by the services and never edited.

    Searching for an email address or customer id finds its requests by hash.
    """

    list_display = ("at", "kind", "actor", "via", "summary", "ticket_list")
    list_filter = ("kind", "via")
    search_fields = ("email_hash", "customer_id_hash")
    search_help_text = "An email address or customer id (compared by its keyed hash)."
    list_select_related = ("actor",)
    readonly_fields = ("kind", "at", "actor", "via", "reason", "counts", "tickets", "email_hash", "customer_id_hash")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        hashes = {identifier_hash("email", term), identifier_hash("customer", term)}
        return queryset.filter(Q(email_hash__in=hashes) | Q(customer_id_hash__in=hashes)), False

    @admin.display(description="Counts")
    def summary(self, obj):
        counts = obj.counts or {}
        return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in counts.items() if value)

    @admin.display(description="Tickets")
    def ticket_list(self, obj):
        tickets = obj.tickets or []
        return ", ".join(tickets[:5]) + (f" … (+{len(tickets) - 5})" if len(tickets) > 5 else "")
