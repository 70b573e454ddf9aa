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


class ArmDimension(models.TextChoices):
    TEMPLATE = "template", "Template version"
    ADAPTER = "adapter", "Adapter (or the base model)"
    MODEL = "model", "Model"


class PrimaryMetric(models.TextChoices):
    CART = "cart", "Add-to-cart rate"
    PURCHASE = "purchase", "Purchase rate"


class Experiment(models.Model):
    """An A/B(/C) test of approved copy of one kind, on one product's page or across a category.

    A *product* experiment tests 2 or 3 chosen approved drafts of one product. A *category*
    experiment tests 2 or 3 arms, each what wrote a draft as its provenance records it (a template
    version, an adapter or the base model, a model: ``content.arms``), on every product of the
    category that has an approved or published draft from each arm when it starts; the others are
    served as usual and are not in it. Each visitor (the session id the storefront sends) is
    assigned one arm for good, by a hash of experiment and visitor, so the same arm on every product
    of the category; the views, add-to-carts and purchases of that session are attributed to it.
    Stopping serves the published copy again; promoting a winner is an editor's publish.

    The plan is fixed when it starts (``storefront.verdict``): the one metric that decides, and the
    visitors per variant the verdict is made on, from the baseline rate of that metric and the
    smallest lift worth finding.
    """

    product = models.ForeignKey("ecomcms_content.Product", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="experiments", help_text="A product experiment: this product.")
    category = models.CharField(max_length=120, blank=True, help_text="A category experiment: this category.")
    kind = models.CharField(max_length=32)
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=ExperimentStatus.choices, default=ExperimentStatus.RUNNING)
    minimum_exposures = models.PositiveIntegerField(
        default=300, help_text="Visitors each variant needs before the page names a likely winner.")
    primary_metric = models.CharField(
        max_length=16, choices=PrimaryMetric.choices, default=PrimaryMetric.CART,
        help_text="The one metric that decides, chosen when it starts; the other is shown, never decides.")
    baseline_rate = models.FloatField(default=0.08, help_text="The primary metric's expected rate (0.08 for 8%).")
    minimum_lift = models.FloatField(default=0.25, help_text="The smallest relative lift worth finding (0.25 for 25%).")
    planned_exposures = models.PositiveIntegerField(
        default=0, help_text="Visitors per variant the verdict is made on, computed from the baseline and the lift "
                             "when it starts (0: computed when read).")
    arm_by = models.CharField(max_length=16, choices=ArmDimension.choices, blank=True,
                              help_text="A category experiment: what its arms differ in.")
    arms = models.JSONField(default=list, blank=True,
                            help_text="A category experiment: its arms in label order, each {by, value, label}.")
    coverage = models.JSONField(
        default=dict, blank=True,
        help_text="A category experiment: active products in the category when it started, how many were in it, "
                  "how many lacked a draft of an arm, how many were under another running experiment.")
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
            models.UniqueConstraint(fields=["category", "kind"],
                                    condition=models.Q(status="running") & ~models.Q(category=""),
                                    name="one_running_experiment_per_category_kind"),
            models.CheckConstraint(
                condition=(models.Q(product__isnull=False, category="")
                           | (models.Q(product__isnull=True) & ~models.Q(category=""))),
                name="experiment_on_a_product_or_a_category"),
        ]

    def __str__(self):
        if self.name:
            return self.name
        return f"Experiment {self.pk}: {self.kind} of " + (f"category {self.category}" if self.category
                                                            else str(self.product_id))

    @property
    def is_category(self) -> bool:
        return bool(self.category)


class ExperimentVariant(models.Model):
    """One arm on one product: an approved draft's text, as it was when the experiment started.

    ``product``, ``kind`` and ``running`` repeat the experiment's, so the database itself refuses a
    second running experiment of a kind on a product (whether product or category experiments):
    every experiment has an arm A on each of its products. Stopping clears ``running`` with the
    experiment's status, in one transaction.
    """

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    product = models.ForeignKey("ecomcms_content.Product", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    label = models.CharField(max_length=1)  # A, B, C
    draft = models.ForeignKey("ecomcms_content.Draft", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    running = models.BooleanField(default=True)

    class Meta:
        ordering = ["experiment", "product", "label"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "product", "label"], name="unique_variant_label"),
            models.UniqueConstraint(fields=["product", "kind", "label"], condition=models.Q(running=True),
                                    name="one_running_variant_per_product_kind_label"),
        ]
        indexes = [models.Index(fields=["product", "running"], name="variant_product_running")]

    def __str__(self):
        return f"{self.label}"

    @property
    def key(self) -> str:
        """What the storefront sends back with events: ``"<experiment id>:<label>"``."""
        return f"{self.experiment_id}:{self.label}"
