"""Storefront app tokens: server-to-server credentials with scopes, stored hashed."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    CATALOG_READ = "catalog:read", "Read the catalog"
    EVENTS_WRITE = "events:write", "Send shopper events"
    RECOMMENDATIONS_READ = "recommendations:read", "Read a customer's recommendations"


class StorefrontToken(models.Model):
    """A token for one storefront or integration.

    Only the SHA-256 of the secret is kept: the secret is shown once, when the
    token is created, and cannot be recovered. ``prefix`` (the secret's first
    characters) lets people tell tokens apart in the admin and in logs.
    """

    name = models.CharField(max_length=100, help_text="Who uses it, e.g. “web shop (production)”.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, help_text="What the token may do.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def event_source(self) -> str:
        """The ``Event.source`` of the events this token sends: client ids are unique per source."""
        return f"token:{self.pk}"
