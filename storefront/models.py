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


class ExperimentStatus(models.TextChoices):
    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped"


class Experiment(models.Model):
    """An A/B(/C) test of approved copy of one kind on one product's storefront page.

    Each visitor (the session id the storefront sends) is assigned one variant for good, by a hash
    of experiment and visitor; the views, add-to-carts and purchases of that session are attributed
    to it. Stopping serves the published copy again; promoting a winner is an editor's publish.
    """

    product = models.ForeignKey("ecomcms_content.Product", on_delete=models.CASCADE, related_name="experiments")
    kind = models.CharField(max_length=32)
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=ExperimentStatus.choices, default=ExperimentStatus.RUNNING)
    minimum_exposures = models.PositiveIntegerField(
        default=300, help_text="Visitors each variant needs before the page names a likely winner.")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["product", "kind"], condition=models.Q(status="running"),
                                    name="one_running_experiment_per_product_kind"),
        ]

    def __str__(self):
        return self.name or f"Experiment {self.pk}: {self.kind} of {self.product_id}"


class ExperimentVariant(models.Model):
    """One arm: an approved draft's text, as it was when the experiment started."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(max_length=1)  # A, B, C
    draft = models.ForeignKey("ecomcms_content.Draft", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    class Meta:
        ordering = ["experiment", "label"]
        constraints = [models.UniqueConstraint(fields=["experiment", "label"], name="unique_variant_label")]

    def __str__(self):
        return f"{self.label}"

    @property
    def key(self) -> str:
        """What the storefront sends back with events: ``"<experiment id>:<label>"``."""
        return f"{self.experiment_id}:{self.label}"
