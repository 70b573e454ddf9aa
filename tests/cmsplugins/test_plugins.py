"""The django CMS plugins on real CMS pages, through the test client: what shoppers see, views, the cache,
edit mode, the editor's plugin form, the demo page, and the rest of the site left as it was."""

from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Product
from recommender import services as recommender_services
from recommender.models import Event
from storefront import blocks
from tests.cmsplugins.helpers import slugs_in, views
from tests.content.factories import make_user
from tests.recommender.factories import buy, train
from tests.storefront.factories import make_draft, publish

CMS = apps.is_installed("cmsplugins")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not CMS, reason="the cms extra is not installed (requirements-cms.txt) or ECOMCMS_CMS=off"),
]
if CMS:
    from cms.api import add_plugin, create_page
    from cms.models import CMSPlugin, Page, UserSettings
    from cms.toolbar.utils import get_object_edit_url, get_object_preview_url
    from cms.utils.urlutils import admin_reverse

    from cmsplugins.demo import REVERSE_ID
    from cmsplugins.models import ProductRecommendations

NEVER_SHOWN = {"sold-out", "archived", "unpublished"}


def shop_page(*plugins, slug: str = "shop"):
    """A CMS page with the given plugins, ``(plugin type, fields)``, in its content area, in order."""
    page = create_page(slug.title(), "cmsplugins/page.html", settings.LANGUAGE_CODE, slug=slug)
    placeholder = page.get_content_obj(settings.LANGUAGE_CODE).get_placeholders().get(slot="content")
    for plugin_type, fields in plugins:
        add_plugin(placeholder, plugin_type, settings.LANGUAGE_CODE, **fields)
    return page


def get(client, page) -> str:
    response = client.get(page.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def slugs(result) -> list[str]:
    return [item.product.slug for item in result.items]


# --- What shoppers see -----------------------------------------------------------------------------------

def test_the_product_copy_plugin_shows_the_published_copy_never_a_draft(client, catalogue):
    publish(catalogue["mug"], "Holds 350 ml, kiln-fired.", kind="seo_title")
    make_draft(catalogue["mug"], text="A draft nobody approved.", kind="seo_title", variant=1)
    page = shop_page(("ProductCopyPlugin", {"product": catalogue["mug"], "kind": "seo_title"}))

    html = get(client, page)

    assert page.get_absolute_url() == "/pages/shop/"
    assert "Holds 350 ml, kiln-fired." in html
    assert "A draft nobody approved." not in html
    assert "The Mug." not in html  # the description: another kind


def test_a_newer_publication_shows_on_the_next_request(client, catalogue):
    page = shop_page(("ProductCopyPlugin", {"product": catalogue["mug"]}))
    assert "The Mug." in get(client, page)

    publish(catalogue["mug"], "The mug, described anew.")
    html = get(client, page)

    assert "The mug, described anew." in html and "The Mug." not in html


def test_an_archived_product_is_never_shown(client, catalogue):
    train()
    page = shop_page(("ProductCopyPlugin", {"product": catalogue["archived"]}),
                     ("SimilarProductsPlugin", {"product": catalogue["archived"], "title": "Similar"}),
                     ("BoughtTogetherPlugin", {"product": catalogue["mug"], "title": "With it", "limit": 50}))

    html = get(client, page)

    assert "The Archived." not in html
    assert slugs_in(html, "similar_products") == []
    together = slugs_in(html, "bought_together")
    assert together[:2] == ["tea", "pot"] and not NEVER_SHOWN & set(together)
    assert views() == []


def test_bought_together_and_similar_products_show_the_recommenders_lists_in_order(client, catalogue):
    train()
    page = shop_page(("BoughtTogetherPlugin", {"product": catalogue["mug"], "title": "Bought together", "limit": 3}),
                     ("SimilarProductsPlugin", {"product": catalogue["tee"], "title": "Similar products", "limit": 2}))

    html = get(client, page)

    together = slugs_in(html, "bought_together")
    assert together[:2] == ["tea", "pot"]
    assert together == slugs(recommender_services.recommend_bought_together(product=catalogue["mug"], n=3))
    assert slugs_in(html, "similar_products") == ["shirt", "polo"]
    assert "bought with Mug" in html and "similar to Tee" in html
    assert html.index("<h2>Bought together</h2>") < html.index("<h2>Similar products</h2>")


def test_recommended_for_you_follows_what_the_visitor_viewed(client, catalogue, monkeypatch):
    monkeypatch.setattr(blocks, "VISITOR_LIST_SECONDS", 0)  # a visitor's list is kept a minute; here not at all
    train()
    scarf = shop_page(("ProductCopyPlugin", {"product": catalogue["scarf"]}), slug="scarf")
    page = shop_page(("RecommendedForYouPlugin", {"limit": 3}))
    assert slugs_in(get(client, page), "recommended_for_you")[0] == "mug"  # a new visitor: what sells now

    get(client, scarf)  # the visitor reads about the scarf: a view of their session
    html = get(client, page)

    shown = slugs_in(html, "recommended_for_you")
    assert shown[0] == "hat" and "scarf" not in shown
    assert shown == slugs(recommender_services.recommend_for_session(session_id=client.session.session_key, n=3))


def test_recommended_for_you_serves_a_signed_in_customer(client, catalogue):
    shopper = User.objects.create_user("shopper")
    buy(str(shopper.pk), "U1", [catalogue["tea"]], days_ago=3)
    train()
    client.force_login(shopper)
    page = shop_page(("RecommendedForYouPlugin", {"limit": 5}))

    shown = slugs_in(get(client, page), "recommended_for_you")

    assert len(shown) == 5 and "tea" not in shown
    assert shown == slugs(recommender_services.recommend_for_customer(customer_id=str(shopper.pk), n=5))


# --- Views for the recommender ------------------------------------------------------------------------------

def test_showing_a_products_copy_records_a_view_for_the_visitors_session(client, catalogue):
    publish(catalogue["mug"], "Mug: 350 ml", kind="seo_title")  # two blocks of one product: one view
    page = shop_page(("ProductCopyPlugin", {"product": catalogue["mug"]}),
                     ("ProductCopyPlugin", {"product": catalogue["mug"], "kind": "seo_title"}),
                     ("ProductCopyPlugin", {"product": catalogue["tea"]}))

    get(client, page)
    session = client.session.session_key
    get(client, page)

    assert session is not None
    assert views() == [("mug", session, ""), ("tea", session, ""), ("mug", session, ""), ("tea", session, "")]


def test_a_signed_in_shoppers_views_carry_their_customer_id(client, catalogue):
    shopper = User.objects.create_user("shopper")
    client.force_login(shopper)
    page = shop_page(("ProductCopyPlugin", {"product": catalogue["mug"]}))

    get(client, page)

    assert views() == [("mug", client.session.session_key, str(shopper.pk))]


@pytest.mark.parametrize("endpoint", ["edit", "preview"])  # the structure board renders no plugin content
def test_no_view_is_recorded_while_an_editor_works_on_the_page(client, catalogue, endpoint):
    train()
    page = shop_page(("ProductCopyPlugin", {"product": catalogue["mug"]}),
                     ("BoughtTogetherPlugin", {"product": catalogue["mug"], "title": "With it"}))
    client.force_login(User.objects.create_superuser("chief", password="pw"))
    content = page.get_content_obj(settings.LANGUAGE_CODE)
    url = {"edit": get_object_edit_url, "preview": get_object_preview_url}[endpoint](content)

    response = client.get(url)

    assert response.status_code == 200
    assert "The Mug." in response.content.decode()
    assert Event.objects.filter(source="site").count() == 0


# --- Cache ---------------------------------------------------------------------------------------------------

def test_a_second_render_takes_the_lists_from_the_cache(client, catalogue):
    train()
    page = shop_page(("BoughtTogetherPlugin", {"product": catalogue["mug"], "title": "With it", "limit": 3}),
                     ("SimilarProductsPlugin", {"product": catalogue["tee"], "title": "Like it", "limit": 2}))
    with CaptureQueriesContext(connection) as first:
        first_html = get(client, page)

    Product.objects.filter(slug="pot").update(stock=0)  # sold out since: leaves the cached list at once
    with CaptureQueriesContext(connection) as second:
        html = get(client, page)

    def recommender_reads(queries):
        return [q["sql"] for q in queries if "ecomcms_recommender_merchandisingrule" in q["sql"]
                or "ecomcms_recommender_shopsetting" in q["sql"]]

    assert recommender_reads(first.captured_queries)  # the recommender served the first render
    assert recommender_reads(second.captured_queries) == []
    assert len(second.captured_queries) < len(first.captured_queries)
    assert slugs_in(html, "bought_together") == [s for s in slugs_in(first_html, "bought_together") if s != "pot"]
    assert slugs_in(html, "similar_products") == ["shirt", "polo"]


def test_the_cms_caches_no_page_with_these_plugins(client, catalogue):
    """The CMS's page cache would replay the copy without recording the view: each request renders."""
    page = shop_page(("ProductCopyPlugin", {"product": catalogue["mug"]}))

    responses = [client.get(page.get_absolute_url()) for _ in range(3)]

    assert len(views()) == 3
    assert "no-cache" in responses[0]["Cache-Control"]


# --- The editor's side ----------------------------------------------------------------------------------------

def test_an_editor_adds_a_plugin_through_the_cms_admin_and_the_page_shows_it(client, catalogue):
    train()
    page = shop_page()
    placeholder = page.get_content_obj(settings.LANGUAGE_CODE).get_placeholders().get(slot="content")
    client.force_login(User.objects.create_superuser("chief", password="pw"))
    query = {"placeholder_id": placeholder.pk, "plugin_type": "SimilarProductsPlugin",
             "plugin_language": settings.LANGUAGE_CODE, "plugin_position": 1, "cms_path": page.get_absolute_url()}
    url = admin_reverse("cms_placeholder_add_plugin")

    form = client.get(url, query)
    saved = client.post(f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}",
                        {"product": catalogue["tee"].pk, "title": "More like this", "limit": 2})

    assert form.status_code == 200
    body = form.content.decode()
    assert 'value="Similar products"' in body  # the heading's initial value
    assert "autocomplete" in body  # products are searched, not listed (catalogues have thousands)
    assert saved.status_code == 200
    assert ProductRecommendations.objects.get().product == catalogue["tee"]
    client.logout()
    html = get(client, page)
    assert "<h2>More like this</h2>" in html and slugs_in(html, "similar_products") == ["shirt", "polo"]


def test_a_product_deleted_from_the_catalogue_empties_its_plugins_and_the_page_still_renders(client, catalogue):
    page = shop_page(("ProductCopyPlugin", {"product": catalogue["mug"]}),
                     ("ProductCopyPlugin", {"product": catalogue["tea"]}))
    catalogue["mug"].published_copy.all().delete()
    catalogue["mug"].drafts.all().delete()
    catalogue["mug"].delete()

    html = get(client, page)

    assert "The Tea." in html
    assert CMSPlugin.objects.filter(plugin_type="ProductCopyPlugin").count() == 2


# --- The rest of the site is served as without the CMS --------------------------------------------------------

def test_the_api_and_the_admin_are_served_without_the_cms_toolbar(client, catalogue):
    client.force_login(make_user("Editors"))

    api = client.get("/api/v1/products/mug")
    admin = client.get("/admin/")

    assert api.status_code == 200 and admin.status_code == 200
    assert api["Cache-Control"].startswith("public")  # the toolbar would have made it never-cache for staff
    assert UserSettings.objects.count() == 0  # the toolbar creates these for staff on its first request
    assert admin["X-Frame-Options"] == "DENY"


def test_cms_admin_pages_may_be_framed_by_the_site_itself_only(client):
    client.force_login(User.objects.create_superuser("chief", password="pw"))

    response = client.get("/admin/cms/pagecontent/")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"


# --- The demo ------------------------------------------------------------------------------------------------

def test_the_demo_creates_its_cms_page_once_with_the_four_plugins(client):
    out = StringIO()
    call_command("load_demo", "--no-drafts", stdout=out)
    call_command("load_demo", "--no-drafts", stdout=StringIO())

    page = Page.objects.get(reverse_id=REVERSE_ID)
    plugins = CMSPlugin.objects.filter(placeholder__in=page.get_content_obj(settings.LANGUAGE_CODE)
                                       .get_placeholders())
    assert Page.objects.count() == 1
    assert sorted(plugins.values_list("plugin_type", flat=True)) == [
        "BoughtTogetherPlugin", "ProductCopyPlugin", "RecommendedForYouPlugin", "SimilarProductsPlugin"]
    assert "demo CMS page: /pages/shop/" in out.getvalue()
    html = get(client, page)
    assert "A 20 l day backpack" in html
    assert len(slugs_in(html, "bought_together")) == 4
    assert len(slugs_in(html, "similar_products")) == 4
    assert len(slugs_in(html, "recommended_for_you")) == 4
    assert views() == [("canvas-day-backpack-bg-cnv-day", client.session.session_key, "")]


def test_a_staff_post_to_the_cms_session_store_without_settings_is_a_400_not_a_500(client):
    client.force_login(make_user("Editors", username="cms-editor"))
    url = "/admin/cms/usersettings/session_store/"

    refused = client.post(url, {})
    stored = client.post(url, {"settings": '{"mode": "edit"}'})
    read = client.get(url)

    assert (refused.status_code, refused.json()) == (400, "The POST needs a 'settings' field.")
    assert stored.status_code == 200 and read.status_code == 200
    assert read.json() == "{&quot;mode&quot;: &quot;edit&quot;}"  # the CMS escapes what it stores


def test_the_cms_session_store_answers_anonymous_callers_as_before(client):
    assert client.post("/admin/cms/usersettings/session_store/", {}).json() == ""
