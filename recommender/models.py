"""Shopper events: what the storefront reports and what the recommenders learn from."""

from __future__ import annotations

from django.db import models


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
    """

    source = models.CharField(max_length=64, help_text="Who sent it: a storefront token's id, or an import's name.")
    client_id = models.CharField(max_length=100, help_text="The sender's id for the event (idempotency key).")
    type = models.CharField(max_length=20, choices=EventType.choices)
    product = models.ForeignKey("content.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    query = models.CharField(max_length=300, blank=True, help_text="The search text, for search events.")
    session_id = models.CharField(max_length=100, blank=True, db_index=True)
    customer_id = models.CharField(max_length=100, blank=True, db_index=True)
    order_id = models.CharField(max_length=100, blank=True, help_text="Invoice or order, for purchases.")
    quantity = models.IntegerField(default=1)
    price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["source", "client_id"], name="unique_event_per_source")]
        indexes = [models.Index(fields=["type", "occurred_at"]), models.Index(fields=["customer_id", "type"])]

    def __str__(self):
        return f"{self.type} {self.product_id or self.query} at {self.occurred_at:%Y-%m-%d %H:%M}"
