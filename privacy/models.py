"""The audit trail of customer data requests: who exported or erased whose data, when, why and how much.

An audit row never holds the raw email address or customer id, only their keyed
hashes (``privacy.pseudonyms.identifier_hash``): the row proves that a request
was handled without keeping the identity it erased. Rows are append-only: the
admin shows them read-only and nobody gets the change or delete permission.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class CustomerDataRequest(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", "Export"
        ERASE = "erase", "Erasure"

    class Via(models.TextChoices):
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Management command"
        CODE = "code", "Code"

    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    email_hash = models.CharField(max_length=64, blank=True, db_index=True,
                                  help_text="Keyed SHA-256 of the email address (never the address itself).")
    customer_id_hash = models.CharField(max_length=64, blank=True, db_index=True,
                                        help_text="Keyed SHA-256 of the shop's customer id.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", help_text="Who asked; empty for a management command run without --by.")
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.CODE)
    reason = models.TextField(blank=True, help_text="Why (personal data in it is redacted before it is stored).")
    counts = models.JSONField(default=dict, blank=True, help_text="Rows exported or erased, per kind.")
    tickets = models.JSONField(default=list, blank=True, help_text="Public ids of the tickets concerned.")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        default_permissions = ("view",)  # append-only: no add, change or delete for anyone
        permissions = [
            ("export_customer_data", "Can export a customer's data (JSON)"),
            ("erase_customer_data", "Can erase a customer's data"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} at {self.at:%Y-%m-%d %H:%M}"
