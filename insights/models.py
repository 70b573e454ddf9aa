"""Monitoring: who follows which brand or category, and the spike alerts found (each stored once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Scope(models.TextChoices):
    PRODUCT = "product", "Product"
    BRAND = "brand", "Brand"
    CATEGORY = "category", "Category"


class Metric(models.TextChoices):
    SHARE_NEGATIVE = "share_negative", "Share of negative reviews"
    TICKET_VOLUME = "ticket_volume", "Ticket volume"


class Subscription(models.Model):
    """A staff member follows one brand or one category: its alerts are emailed to them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    brand = models.CharField(max_length=120, blank=True, help_text="Exactly one of brand and category.")
    category = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__username", "brand", "category"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(brand="") & ~Q(category="")) | (~Q(brand="") & Q(category="")),
                name="subscription_one_brand_or_category",
            ),
            models.UniqueConstraint(fields=["user", "brand", "category"], name="unique_subscription"),
        ]

    def __str__(self):
        return f"{self.user} follows {'brand ' + self.brand if self.brand else 'category ' + self.category}"


class Alert(models.Model):
    """A weekly figure beyond its own recent baseline (insights/spikes.py). One row per scope, key, week and
    metric: finding it again never stores or emails it twice."""

    scope = models.CharField(max_length=10, choices=Scope.choices)
    key = models.CharField(max_length=120, help_text="The product's SKU, the brand or the category.")
    label = models.CharField(max_length=300, blank=True, help_text="What people read: the product's title ...")
    brand = models.CharField(max_length=120, blank=True, help_text="Whose subscribers are told (products: theirs).")
    category = models.CharField(max_length=120, blank=True)
    week = models.DateField(help_text="Monday of the week (UTC).")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    value = models.FloatField(help_text="The week's share negative, or its ticket count.")
    baseline = models.FloatField(help_text="The same figure over the baseline weeks.")
    z = models.FloatField("z-score")
    count = models.PositiveIntegerField(help_text="Reviews (share negative) or tickets that week.")
    details = models.JSONField(default=dict, blank=True)
    detected_at = models.DateTimeField(default=timezone.now, db_index=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    recipients = models.JSONField(default=list, blank=True, help_text="Addresses the alert was emailed to.")

    class Meta:
        ordering = ["-week", "-z"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "key", "week", "metric"], name="one_alert_per_scope_week_metric"),
        ]
        permissions = [("view_monitoring", "Can view the monitoring dashboard")]

    def __str__(self):
        return f"{self.get_metric_display()} of {self.scope} {self.label or self.key}, week of {self.week}"
