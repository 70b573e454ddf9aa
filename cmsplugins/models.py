"""What an editor chooses when placing a plugin: the product, the kind of copy, how many recommendations.

Rows exist only where the ``cms`` extra is installed (the app and its migrations are installed with it).
A product deleted from the catalogue leaves its plugins empty rather than deleting them from pages.
"""

from __future__ import annotations

from cms.models import CMSPlugin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from content.models import CopyKind
from recommender.services import MAX_RESULTS

LIMIT_VALIDATORS = [MinValueValidator(1), MaxValueValidator(MAX_RESULTS)]


class ProductCopy(CMSPlugin):
    product = models.ForeignKey("ecomcms_content.Product", null=True, on_delete=models.SET_NULL, related_name="+",
                                limit_choices_to={"is_active": True})
    kind = models.CharField(max_length=32, choices=CopyKind.choices, default=CopyKind.DESCRIPTION)
    variant = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)],
                                               help_text="Ad copy and social posts come in variants 1 to 3.")

    def __str__(self):
        return f"{self.get_kind_display()} of {self.product.title if self.product else 'no product'}"


class RecommendedForYou(CMSPlugin):
    title = models.CharField(max_length=200, blank=True, default="Recommended for you",
                             help_text="The heading above the list; blank for none.")
    limit = models.PositiveSmallIntegerField(default=4, validators=LIMIT_VALIDATORS, help_text="How many products.")

    def __str__(self):
        return f"{self.title or 'Recommended for you'} ({self.limit})"


class ProductRecommendations(CMSPlugin):
    """Settings of the "Bought together" and "Similar products" plugins: one anchor product each."""

    product = models.ForeignKey("ecomcms_content.Product", null=True, on_delete=models.SET_NULL, related_name="+",
                                limit_choices_to={"is_active": True})
    title = models.CharField(max_length=200, blank=True, help_text="The heading above the list; blank for none.")
    limit = models.PositiveSmallIntegerField(default=4, validators=LIMIT_VALIDATORS, help_text="How many products.")

    def __str__(self):
        return f"{self.title or 'Products'} for {self.product.title if self.product else 'no product'} ({self.limit})"
