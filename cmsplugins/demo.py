"""The demo's django CMS page: /pages/shop/, "Shop", with each of the four plugins on demo products.

Called by ``manage.py load_demo`` when the CMS is installed, after the catalogue, its published copy
and the recommender's version. Created once: the page is found again by its reverse id.
"""

from __future__ import annotations

from cms.api import add_plugin, create_page
from cms.models import Page
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site

from content.models import CopyKind, Product

REVERSE_ID = "ecomcms-demo-shop"
TEMPLATE = "cmsplugins/page.html"
FEATURED_SKU = "BG-CNV-DAY"  # the Canvas Day Backpack: bought with the mug in the demo's orders


def load_demo_page(stdout) -> Page | None:
    """Create the demo page with its plugins, unless it is there; print its address either way."""
    page = Page.objects.filter(reverse_id=REVERSE_ID, site=Site.objects.get_current()).first()
    if page is not None:
        stdout.write(f"demo CMS page: {page.get_absolute_url()} (already there)")
        return page
    product = Product.objects.filter(sku=FEATURED_SKU, is_active=True).first()
    if product is None:
        stdout.write("demo CMS page: skipped, the demo catalogue is not loaded")
        return None
    language = settings.LANGUAGE_CODE
    author = get_user_model().objects.filter(username="editor").first() or "load_demo"
    page = create_page("Shop", TEMPLATE, language, slug="shop", reverse_id=REVERSE_ID, in_navigation=True,
                       created_by=author, meta_description="Our pick of the shop, with recommendations.")
    content = page.get_content_obj(language)
    placeholder = content.get_placeholders().get(slot="content")
    add_plugin(placeholder, "ProductCopyPlugin", language, product=product, kind=CopyKind.DESCRIPTION)
    add_plugin(placeholder, "BoughtTogetherPlugin", language, product=product, title="Bought together", limit=4)
    add_plugin(placeholder, "SimilarProductsPlugin", language, product=product, title="Similar products", limit=4)
    add_plugin(placeholder, "RecommendedForYouPlugin", language, title="Recommended for you", limit=4)
    stdout.write(f"demo CMS page: {page.get_absolute_url()} ({product.title}, bought together, similar products "
                 "and recommended for you; edit it from the page's toolbar when signed in as admin)")
    return page
