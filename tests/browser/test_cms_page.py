"""A django CMS page with the four ecomcms plugins, as a shopper and as an editor see it in Chromium."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User

from recommender import artifacts
from tests.cmsplugins.helpers import views
from tests.recommender.conftest import catalogue  # noqa: F401  (the small shop whose right answers are known)
from tests.recommender.factories import train
from tests.storefront.factories import make_draft, publish

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not apps.is_installed("cmsplugins"), reason="the cms extra is not installed or ECOMCMS_CMS=off"),
]


@pytest.fixture
def own_artifacts(settings, tmp_path):
    settings.ECOMCMS_DATA_DIR = tmp_path
    artifacts.forget()
    yield
    artifacts.forget()


def test_a_shopper_sees_the_plugins_on_a_cms_page_and_an_editor_edits_it(open_browser, catalogue, own_artifacts):  # noqa: F811
    from cms.api import add_plugin, create_page

    train()
    publish(catalogue["mug"], "A stoneware mug that keeps tea hot, kiln-fired in Portugal.")
    make_draft(catalogue["mug"], text="An unapproved draft about the mug.", variant=2)
    page = create_page("Shop", "cmsplugins/page.html", settings.LANGUAGE_CODE, slug="shop")
    slot = page.get_content_obj(settings.LANGUAGE_CODE).get_placeholders().get(slot="content")
    add_plugin(slot, "ProductCopyPlugin", settings.LANGUAGE_CODE, product=catalogue["mug"], kind="description")
    add_plugin(slot, "BoughtTogetherPlugin", settings.LANGUAGE_CODE, product=catalogue["mug"], title="Bought together")
    add_plugin(
        slot, "SimilarProductsPlugin", settings.LANGUAGE_CODE, product=catalogue["tee"], title="Similar products"
    )
    add_plugin(slot, "RecommendedForYouPlugin", settings.LANGUAGE_CODE, title="Recommended for you", limit=3)
    User.objects.create_superuser("editor", "editor@shop.example", "editor-pw")

    shopper = open_browser()
    shopper.goto("/pages/shop/")
    body = shopper.page.inner_text("body")
    assert "A stoneware mug that keeps tea hot" in body
    assert "An unapproved draft" not in body
    assert shopper.page.locator(".ecomcms-bought_together li").first.get_attribute("data-product") == "tea"
    assert shopper.page.locator(".ecomcms-similar_products li").count() >= 1
    assert shopper.page.locator(".ecomcms-recommended_for_you li").count() >= 1
    assert "archived" not in [li.get_attribute("data-product") for li in shopper.page.locator("li[data-product]").all()]
    shopper.screenshot("shopper-sees-the-cms-page")
    assert [(slug, bool(session)) for slug, session, _ in views()] == [("mug", True)]  # one view, of the mug

    editor = open_browser()
    editor.login("editor", "editor-pw")
    editor.goto("/pages/shop/?toolbar_on")
    assert editor.page.locator(".cms-toolbar").count() == 1
    assert "A stoneware mug that keeps tea hot" in editor.page.inner_text("body")
    editor.screenshot("editor-sees-the-page-with-the-cms-toolbar")

    with editor.page.expect_navigation():
        editor.page.locator(".cms-toolbar").get_by_text("Edit", exact=True).click()
    editor.page.wait_for_load_state("load")
    assert "/admin/cms/placeholder/object/" in editor.page.url and "/edit/" in editor.page.url
    assert "A stoneware mug that keeps tea hot" in editor.page.inner_text("body")
    editor.screenshot("editor-in-edit-mode")
    assert len(views()) == 1  # the editor's visits recorded no views
