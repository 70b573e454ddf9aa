"""The django CMS plugins: thin doors onto ``storefront.blocks``, rendered with the template tags' templates.

The CMS's own caches are off for these plugins (``cache = False``): the copy plugin records the
shopper's view on every render and "Recommended for you" differs per visitor, so neither a cached
placeholder nor a cached page may stand in for the render. The blocks cache the expensive part, the
recommendation lists, themselves (see ``storefront.blocks``).
"""

from __future__ import annotations

from cms.plugin_base import CMSPluginBase
from cms.plugin_pool import plugin_pool
from django.utils.translation import gettext_lazy as _

from cmsplugins.models import ProductCopy, ProductRecommendations, RecommendedForYou
from storefront import blocks

MODULE = _("ecomcms")


class _Plugin(CMSPluginBase):
    module = MODULE
    cache = False
    text_enabled = False
    default_title = ""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if self.default_title:
            initial.setdefault("title", self.default_title)
        return initial


@plugin_pool.register_plugin
class ProductCopyPlugin(_Plugin):
    """A product's published copy of a chosen kind; showing it records the shopper's view."""

    model = ProductCopy
    name = _("Product copy")
    render_template = blocks.COPY_TEMPLATE
    autocomplete_fields = ["product"]

    def render(self, context, instance, placeholder):
        context.update(blocks.product_copy(visitor=blocks.visitor_of(context.get("request")),
                                           product=instance.product, kind=instance.kind, variant=instance.variant))
        return context


@plugin_pool.register_plugin
class RecommendedForYouPlugin(_Plugin):
    """Recommendations for the visitor: the signed-in customer, else the session."""

    model = RecommendedForYou
    name = _("Recommended for you")
    render_template = blocks.LIST_TEMPLATE

    def render(self, context, instance, placeholder):
        context.update(blocks.recommended_for_you(visitor=blocks.visitor_of(context.get("request")),
                                                  limit=instance.limit, title=instance.title))
        return context


@plugin_pool.register_plugin
class BoughtTogetherPlugin(_Plugin):
    """Products bought on the same orders as the chosen product."""

    model = ProductRecommendations
    name = _("Bought together")
    default_title = _("Bought together")
    render_template = blocks.LIST_TEMPLATE
    autocomplete_fields = ["product"]

    def render(self, context, instance, placeholder):
        context.update(blocks.bought_together(product=instance.product, limit=instance.limit, title=instance.title,
                                              editing=blocks.cms_editing(context.get("request"))))
        return context


@plugin_pool.register_plugin
class SimilarProductsPlugin(_Plugin):
    """Products bought by the same customers as the chosen product, or described alike."""

    model = ProductRecommendations
    name = _("Similar products")
    default_title = _("Similar products")
    render_template = blocks.LIST_TEMPLATE
    autocomplete_fields = ["product"]

    def render(self, context, instance, placeholder):
        context.update(blocks.similar_products(product=instance.product, limit=instance.limit, title=instance.title,
                                               editing=blocks.cms_editing(context.get("request"))))
        return context
