"""Shopper events, trained recommender versions, merchandising rules and the shop's settings.

Events are what the storefront reports (and what imports bring in); the
recommenders learn from them. Each training run is a ``ModelVersion`` with its
artifact on disk; one version at most is active (a partial unique constraint)
and every activation and rollback is logged in ``ModelActivation``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class EventType(models.TextChoices):
    VIEW = "view", "View"
    ADD_TO_CART = "add_to_cart", "Add to cart"
    REMOVE_FROM_CART = "remove_from_cart", "Remove from cart"
    PURCHASE = "purchase", "Purchase"
    SEARCH = "search", "Search"


class Event(models.Model):
    """One shopper event. ``(source, client_id)`` is unique, so a retried batch is stored once.

    ``session_id`` is the anonymous visitor; ``customer_id`` is set when known, and
    filled in on a session's earlier events once a later event links the two.
    A purchase with a negative quantity is a cancellation (or return) of that many
    units, as in the order exports it is imported from; training nets it against the
    customer's earlier purchases of the product.
    """

    source = models.CharField(max_length=64, help_text="Who sent it: a storefront token's id, or an import's name.")
    client_id = models.CharField(max_length=100, help_text="The sender's id for the event (idempotency key).")
    type = models.CharField(max_length=20, choices=EventType.choices)
    product = models.ForeignKey(
        "ecomcms_content.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    query = models.CharField(max_length=300, blank=True, help_text="The search text, for search events.")
    session_id = models.CharField(max_length=100, blank=True, db_index=True)
    # No index of its own: the (customer_id, type) index below starts with it and serves every lookup by
    # customer; the single-column one (and its LIKE twin on PostgreSQL) only slowed ingestion (docs/performance.md).
    customer_id = models.CharField(max_length=100, blank=True)
    order_id = models.CharField(max_length=100, blank=True, help_text="Invoice or order, for purchases.")
    quantity = models.IntegerField(default=1, help_text="Negative on a purchase: a cancellation or return.")
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)
    experiment_variant = models.CharField(
        max_length=40, blank=True, help_text="The copy experiment variant the shopper saw (\"<experiment>:<label>\").")

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["source", "client_id"], name="unique_event_per_source")]
        indexes = [models.Index(fields=["type", "occurred_at"]), models.Index(fields=["customer_id", "type"])]

    def __str__(self):
        return f"{self.type} {self.product_id or self.query} at {self.occurred_at:%Y-%m-%d %H:%M}"


class VersionStatus(models.TextChoices):
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ModelVersion(models.Model):
    """One training run (or one offline evaluation): what was trained on what, how well, and where it is.

    A version with an artifact can be served; an offline evaluation of a file has
    metrics only (``artifact`` empty) and can never be activated.
    """

    name = models.CharField(max_length=200)
    algorithm = models.CharField(max_length=64, default="blend", help_text="What serves requests: `blend` for now.")
    parameters = models.JSONField(default=dict, blank=True, help_text="Hyper-parameters, feedback types, "
                                  "embedding model and the evaluation protocol.")
    status = models.CharField(max_length=16, choices=VersionStatus.choices, default=VersionStatus.TRAINING)
    failure_reason = models.TextField(blank=True)
    data_start = models.DateTimeField(null=True, blank=True, help_text="The earliest event trained on.")
    data_end = models.DateTimeField(null=True, blank=True, help_text="The latest event trained on.")
    n_events = models.PositiveIntegerField(default=0, help_text="Purchase lines trained on, after cancellations.")
    n_customers = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True, help_text="Offline metrics @k per recommender on a "
                               "holdout of the last days: precision, recall, ndcg, map, coverage, fit_seconds.")
    artifact = models.CharField(max_length=200, blank=True, help_text="File under DATA_DIR/recommender/.")
    is_active = models.BooleanField(default=False, help_text="The version that serves recommendations.")
    activated_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="Wall time of the run.")
    trigger = models.CharField(max_length=32, blank=True, help_text="command, schedule, admin, demo or evaluation.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        get_latest_by = "started_at"
        permissions = [("activate_modelversion", "Can activate and roll back recommender versions")]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_model_version"),
            # Two trainings at once would race for the CPU and the embedding cache; the second waits its turn.
            models.UniqueConstraint(fields=["status"], condition=Q(status="training"), name="one_training_at_a_time"),
            models.CheckConstraint(condition=Q(is_active=False) | (Q(status="ready") & ~Q(artifact="")),
                                   name="only_ready_versions_with_an_artifact_are_active"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.name}"

    @property
    def servable(self) -> bool:
        return self.status == VersionStatus.READY and bool(self.artifact)


class ModelActivation(models.Model):
    """Append-only log of which version served when: one row per activation or rollback."""

    class Kind(models.TextChoices):
        ACTIVATE = "activate", "Activated"
        ROLLBACK = "rollback", "Rolled back"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_version = models.ForeignKey(ModelVersion, null=True, on_delete=models.SET_NULL, related_name="activations")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    comment = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.from_version_id or '-'} -> #{self.to_version_id or '-'}"


class RuleAction(models.TextChoices):
    PIN = "pin", "Pin at a position"
    BOOST = "boost", "Boost"
    BURY = "bury", "Bury"
    EXCLUDE = "exclude", "Exclude"


class RuleContext(models.TextChoices):
    ALL = "all", "Every list"
    CUSTOMER = "customer", "For a customer"
    SESSION = "session", "For a session"
    SIMILAR = "similar", "Similar products"
    BOUGHT_TOGETHER = "bought_together", "Bought together"


class MerchandisingRule(models.Model):
    """A merchandiser's override of the recommenders for one product.

    pin: shown at ``position`` whenever it is eligible; boost / bury: ``weight`` is
    added to / taken from its score (scores are scaled so a list's best candidate
    scores 1); exclude: never shown. Rules never show a product that is inactive,
    out of stock, without published copy, excluded by the request or (when the shop
    excludes purchases) already bought.
    """

    product = models.ForeignKey("ecomcms_content.Product", on_delete=models.CASCADE, related_name="merchandising_rules")
    action = models.CharField(max_length=16, choices=RuleAction.choices)
    position = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Pins: 1 is the first place.")
    weight = models.FloatField(default=0.5, help_text="Boost and bury: added to or taken from the score "
                               "(the list's best candidate scores 1).")
    context = models.CharField(max_length=20, choices=RuleContext.choices, default=RuleContext.ALL,
                               help_text="Which lists the rule applies to.")
    category = models.CharField(max_length=120, blank=True,
                                help_text="Only in lists filtered to this category (the API's `category`); "
                                          "blank: whatever the filter.")
    starts_at = models.DateTimeField(null=True, blank=True, help_text="Blank: from now.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="Blank: until switched off.")
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=300, blank=True, help_text="Why, for the next merchandiser.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["action", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(action="pin") | Q(position__gte=1), name="pin_has_a_position"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="rule_weight_positive"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="rule_ends_after_it_starts",
            ),
        ]

    def __str__(self):
        where = f" at {self.position}" if self.action == RuleAction.PIN else ""
        return f"{self.get_action_display()}{where}: {self.product}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.action == RuleAction.PIN and not self.position:
            raise ValidationError({"position": "A pin needs a position (1 is the first place)."})
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "Must be after the start."})


class ShopSetting(models.Model):
    """The shop's recommendation settings: one row (``ShopSetting.load()``), edited in the admin."""

    exclude_purchased = models.BooleanField(
        default=True,
        help_text="Never recommend to a customer what they already bought. Turn it off for a shop whose "
                  "customers buy the same products again (consumables, wholesale restocking).",
    )
    max_per_category = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="At most this many products of one category per list, for variety "
                                         "(the API's `per_category` overrides it). Blank: no limit.",
    )
    activate_scheduled_versions = models.BooleanField(
        default=True,
        help_text="Activate each scheduled (nightly) training's version when it passes the sanity check: "
                  "on its holdout the blend must beat the popularity baseline on NDCG.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "shop setting"
        verbose_name_plural = "shop settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="shop_setting_singleton")]

    def __str__(self):
        return "Recommendation settings"

    @classmethod
    def load(cls) -> ShopSetting:
        setting, _ = cls.objects.get_or_create(pk=1)
        return setting
