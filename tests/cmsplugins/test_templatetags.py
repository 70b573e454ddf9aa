"""The template tags on a plain Django template, no CMS involved: what shoppers see, views, the cache.

The CMS plugins call the same functions (``storefront.blocks``); test_plugins.py renders them on CMS pages.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.middleware import SessionMiddleware
from django.template import engines
from django.test import RequestFactory

from content.models import Product
from recommender import artifacts, services as recommender_services
from recommender.models import Event
from tests.cmsplugins.helpers import slugs_in, views
from tests.content.factories import make_product
from tests.recommender.conftest import repeat_shop  # noqa: F401
from tests.recommender.factories import buy, train, view
from tests.storefront.factories import make_draft, publish

pytestmark = pytest.mark.django_db

NEVER_SHOWN = {"sold-out", "archived", "unpublished"}


def visit(user=None, session_key: str | None = None):
    """A shopper's request with a session (a new, empty one unless a key is given) and a user."""
    request = RequestFactory().get("/shop/")
    SessionMiddleware(lambda r: None).process_request(request)
    if session_key:
        request.session = request.session.__class__(session_key)
    request.user = user or AnonymousUser()
    return request


def render(source: str, request=None, **context) -> str:
    """A plain template (no CMS) rendered as a site's view would: with the request and its context processors."""
    return engines["django"].from_string("{% load ecomcms %}" + source).render(context, request)


def slugs(result) -> list[str]:
    return [item.product.slug for item in result.items]


# --- Product copy -------------------------------------------------------------------------------------

def test_product_copy_shows_the_published_copy_and_never_a_draft():
    product = make_product(slug="mug")
    publish(product, "Stoneware, 350 ml, dishwasher safe.")
    make_draft(product, text="An unreviewed AI draft about the mug.")

    html = render('{% product_copy product "description" %}', visit(), product=product)

    assert "Stoneware, 350 ml, dishwasher safe." in html
    assert "unreviewed AI draft" not in html


def test_product_copy_shows_the_chosen_kind_and_variant_by_slug():
    product = make_product(slug="mug")
    publish(product, "The description.")
    publish(product, "Headline one", kind="ad_headline", variant=1)
    publish(product, "Headline two", kind="ad_headline", variant=2)

    html = render('{% product_copy "mug" "ad_headline" variant=2 %}', visit())

    assert "Headline two" in html
    assert "Headline one" not in html and "The description." not in html


def test_a_newer_publication_shows_at_once():
    product = make_product(slug="mug")
    publish(product, "The first description.")
    assert "The first description." in render('{% product_copy product %}', visit(), product=product)

    publish(product, "The second description.")
    html = render('{% product_copy product %}', visit(), product=product)

    assert "The second description." in html
    assert "The first description." not in html


def test_an_archived_products_copy_is_never_shown_nor_its_view_recorded():
    product = make_product(slug="mug")
    publish(product, "Stoneware, 350 ml.")
    Product.objects.filter(pk=product.pk).update(is_active=False)

    html = render('{% product_copy product %}', visit(), product=product)

    assert html.strip() == ""
    assert views() == []


def test_copy_html_is_the_plain_text_escaped_with_its_paragraphs():
    product = make_product(slug="mug")
    publish(product, '<p>Holds <strong>350 ml</strong>.</p><script>alert(1)</script><a href="x">link</a>')

    html = render('{% product_copy product %}', visit(), product=product)

    assert "<p>Holds 350 ml.<br>link</p>" in html
    assert "<script" not in html and "alert(1)" not in html and "<a " not in html and "<strong>" not in html


def test_ampersands_and_angle_brackets_in_copy_are_escaped_once():
    product = make_product(slug="salt")
    publish(product, "Salt & pepper <3\n\nFor 5 < 6 & more.")

    html = render('{% product_copy product %}', visit(), product=product)

    assert "<p>Salt &amp; pepper &lt;3</p>" in html
    assert "<p>For 5 &lt; 6 &amp; more.</p>" in html and "&amp;amp;" not in html


def test_showing_copy_records_one_view_per_product_and_request_for_the_visitors_session():
    mug, tea = make_product(slug="mug"), make_product(slug="tea")
    for product in (mug, tea):
        publish(product, f"About the {product.slug}.")
        publish(product, f"{product.slug} title", kind="seo_title")
    request = visit()
    assert request.session.session_key is None  # a first visit: no session yet

    render('{% product_copy mug %}{% product_copy mug "seo_title" %}{% product_copy tea %}', request, mug=mug, tea=tea)

    session = request.session.session_key
    assert session is not None and request.session.modified  # started, so the middleware sends its cookie
    assert views() == [("mug", session, ""), ("tea", session, "")]
    render('{% product_copy mug %}', visit(session_key=session), mug=mug)
    assert views() == [("mug", session, ""), ("tea", session, ""), ("mug", session, "")]


def test_a_visitor_whose_session_expired_gets_a_new_one_for_their_views():
    product = make_product(slug="mug")
    publish(product, "About the mug.")
    request = visit(session_key="expired0session0key0000000000000")

    render('{% product_copy product %}', request, product=product)

    session = request.session.session_key
    assert session not in (None, "expired0session0key0000000000000")
    assert views() == [("mug", session, "")]


def test_a_signed_in_shoppers_view_carries_their_customer_id():
    product = make_product(slug="mug")
    publish(product, "About the mug.")
    shopper = User.objects.create_user("shopper")
    request = visit(user=shopper)

    render('{% product_copy product %}', request, product=product)

    assert views() == [("mug", request.session.session_key, str(shopper.pk))]


def test_without_a_request_the_copy_shows_and_nothing_is_recorded():
    product = make_product(slug="mug")
    publish(product, "About the mug.")

    html = render('{% product_copy product %}', None, product=product)

    assert "About the mug." in html
    assert Event.objects.count() == 0


@pytest.mark.parametrize("mode", ["edit_mode_active", "structure_mode_active", "preview_mode_active"])
def test_no_view_is_recorded_while_a_cms_editor_is_at_work(mode):
    product = make_product(slug="mug")
    publish(product, "About the mug.")
    request = visit(user=User.objects.create_user("editor", is_staff=True))
    request.toolbar = SimpleNamespace(**{"edit_mode_active": False, "structure_mode_active": False,
                                         "preview_mode_active": False, mode: True})

    html = render('{% product_copy product %}', request, product=product)

    assert "About the mug." in html
    assert Event.objects.count() == 0


def test_an_unknown_kind_fails_loudly():
    product = make_product(slug="mug")

    with pytest.raises(ValueError, match="unknown copy kind 'blurb'"):
        render('{% product_copy product "blurb" %}', visit(), product=product)


# --- Recommendations ----------------------------------------------------------------------------------

def test_bought_together_shows_the_recommenders_list_in_order_and_only_what_may_be_shown(catalogue):
    train()

    html = render("{% bought_together product limit=3 %}", visit(), product=catalogue["mug"])

    shown = slugs_in(html, "bought_together")
    assert shown[:2] == ["tea", "pot"]
    assert shown == slugs(recommender_services.recommend_bought_together(product=catalogue["mug"], n=3))
    assert "<h2>Bought together</h2>" in html and "bought with Mug" in html
    assert not NEVER_SHOWN & set(slugs_in(render("{% bought_together product limit=50 %}", visit(),
                                                 product=catalogue["mug"]), "bought_together"))


def test_similar_products_by_slug_with_a_title_of_the_sites_own(catalogue):
    train()

    html = render('{% similar_products "tee" limit=2 title="You may also like" %}', visit())

    assert slugs_in(html, "similar_products") == ["shirt", "polo"]
    assert "<h2>You may also like</h2>" in html and "similar to Tee" in html


def test_lists_for_an_archived_product_are_empty(catalogue):
    train()

    html = render("{% similar_products product %}{% bought_together product %}", visit(), product=catalogue["archived"])

    assert html.strip() == ""


def test_recommended_for_you_follows_the_sessions_views(catalogue):
    train()
    request = visit()
    request.session.save()
    view(request.session.session_key, [catalogue["scarf"]])

    html = render("{% recommended_for_you limit=3 %}", request)

    shown = slugs_in(html, "recommended_for_you")
    assert shown[0] == "hat" and "scarf" not in shown
    assert shown == slugs(recommender_services.recommend_for_session(session_id=request.session.session_key, n=3))


def test_recommended_for_you_gives_a_new_visitor_what_sells_now(catalogue):
    train()

    html = render("{% recommended_for_you limit=3 %}", visit())

    assert slugs_in(html, "recommended_for_you")[0] == "mug"


def test_recommended_for_you_serves_a_signed_in_customer_without_what_they_bought(catalogue):
    shopper = User.objects.create_user("shopper")
    buy(str(shopper.pk), "U1", [catalogue["tea"]], days_ago=3)
    train()

    html = render("{% recommended_for_you limit=5 %}", visit(user=shopper))

    shown = slugs_in(html, "recommended_for_you")
    assert len(shown) == 5 and "tea" not in shown
    assert shown == slugs(recommender_services.recommend_for_customer(customer_id=str(shopper.pk), n=5))


def test_without_an_active_version_the_lists_render_nothing(catalogue):
    html = render("{% recommended_for_you %}{% bought_together product %}{% similar_products product %}", visit(),
                  product=catalogue["mug"])

    assert html.strip() == ""


def test_a_cached_list_costs_two_queries_and_drops_a_product_archived_meanwhile(catalogue, django_assert_num_queries):
    train()
    first = slugs_in(render("{% bought_together product limit=3 %}", visit(), product=catalogue["mug"]),
                     "bought_together")
    assert first[:2] == ["tea", "pot"]
    Product.objects.filter(slug="tea").update(is_active=False)

    with django_assert_num_queries(2):  # the active version; the listed products that may still be shown
        html = render("{% bought_together product limit=3 %}", visit(), product=catalogue["mug"])

    assert slugs_in(html, "bought_together") == [slug for slug in first if slug != "tea"]


def test_a_newly_activated_version_replaces_a_cached_list_at_once(catalogue, repeat_shop):  # noqa: F811
    shopper = User.objects.create_user("shopper")
    buy(str(shopper.pk), "U1", [catalogue["mug"]], days_ago=5)
    train()
    assert slugs_in(render("{% recommended_for_you limit=1 %}", visit(user=shopper)), "recommended_for_you") == ["mug"]
    buy(str(shopper.pk), "U2", [catalogue["hat"]], days_ago=1)
    buy(str(shopper.pk), "U3", [catalogue["hat"]], days_ago=0.5)

    train()
    html = render("{% recommended_for_you limit=1 %}", visit(user=shopper))

    assert slugs_in(html, "recommended_for_you") == ["hat"]


def test_a_version_whose_artifact_is_gone_leaves_the_page_without_the_list(catalogue, caplog):
    version = train()
    artifacts.artifact_path(version.artifact).unlink()
    artifacts.forget()

    html = render('{% product_copy product %}{% similar_products product %}', visit(), product=catalogue["mug"])

    assert "The Mug." in html
    assert slugs_in(html, "similar_products") == []
    assert f"version #{version.pk} cannot serve" in caplog.text


def test_a_limit_out_of_range_fails_loudly(catalogue):
    with pytest.raises(ValueError, match="limit must be a whole number from 1 to 50"):
        render("{% similar_products product limit=0 %}", visit(), product=catalogue["mug"])

