"""Template tags for a site's own templates: ``{% load ecomcms %}``.

::

    {% product_copy product "description" %}          {# a Product or its slug; kind and variant optional #}
    {% recommended_for_you limit=4 %}                  {# the signed-in customer, else the session #}
    {% bought_together product limit=4 %}
    {% similar_products product limit=4 title="You may also like" %}

Thin doors onto ``storefront.blocks``, which the django CMS plugins call too. The tags read the
visitor from ``request`` in the context (``django.template.context_processors.request``).
"""

from __future__ import annotations

from django import template

from storefront import blocks

register = template.Library()


@register.inclusion_tag(blocks.COPY_TEMPLATE, takes_context=True)
def product_copy(context, product, kind="description", variant=1):
    """The product's published copy of ``kind``; records the shopper's view of the product."""
    return blocks.product_copy(visitor=blocks.visitor_of(context.get("request")), product=product, kind=kind,
                               variant=variant)


@register.inclusion_tag(blocks.LIST_TEMPLATE, takes_context=True)
def recommended_for_you(context, limit=blocks.DEFAULT_LIMIT, title="Recommended for you"):
    return blocks.recommended_for_you(visitor=blocks.visitor_of(context.get("request")), limit=limit, title=title)


@register.inclusion_tag(blocks.LIST_TEMPLATE, takes_context=True)
def bought_together(context, product, limit=blocks.DEFAULT_LIMIT, title="Bought together"):
    return blocks.bought_together(product=product, limit=limit, title=title,
                                  editing=blocks.cms_editing(context.get("request")))


@register.inclusion_tag(blocks.LIST_TEMPLATE, takes_context=True)
def similar_products(context, product, limit=blocks.DEFAULT_LIMIT, title="Similar products"):
    return blocks.similar_products(product=product, limit=limit, title=title,
                                   editing=blocks.cms_editing(context.get("request")))
