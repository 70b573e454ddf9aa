"""The site's root sends a visitor to a page that renders for them, and the demo names the admin's menus."""

from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings

from ecomcms_demo.management.commands.load_demo import Command as LoadDemo
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db

needs_cms = pytest.mark.skipif(not apps.is_installed("cms"), reason="the cms extra is not installed or ECOMCMS_CMS=off")


def cms_page(title, slug, **kwargs):
    from cms.api import create_page

    return create_page(title, "cmsplugins/page.html", settings.LANGUAGE_CODE, slug=slug, **kwargs)


def test_without_a_public_page_the_root_leads_to_the_admin(client):
    response = client.get("/")

    assert (response.status_code, response["Location"]) == (302, "/admin/")


@needs_cms
def test_an_anonymous_visitor_is_sent_to_a_cms_page_that_renders_not_to_the_admin_login(client):
    cms_page("Shop", "shop", in_navigation=True)

    response = client.get("/", follow=True)

    assert response.redirect_chain == [("/pages/shop/", 302)]
    assert response.status_code == 200
    assert b"<h1>Shop</h1>" in response.content


@needs_cms
def test_the_cms_home_page_wins_and_a_login_only_page_is_never_the_target(client):
    cms_page("Members", "members", login_required=True)
    cms_page("Welcome", "welcome").set_as_homepage()

    response = client.get("/")

    assert response["Location"] == "/pages/"
    assert client.get("/pages/").status_code == 200


@needs_cms
def test_the_site_name_and_domain_come_from_the_settings_at_every_migrate(settings):
    from django.contrib.sites.models import Site
    from django.core.management import call_command

    assert (Site.objects.get_current().domain, Site.objects.get_current().name) == (settings.SITE_DOMAIN,
                                                                                    settings.SITE_NAME)
    settings.SITE_DOMAIN, settings.SITE_NAME = "shop.example", "Acme Shop"
    call_command("migrate", verbosity=0)

    site = Site.objects.get_current()
    assert (site.domain, site.name) == ("shop.example", "Acme Shop")
    assert Site.objects.count() == 1


@needs_cms
def test_the_cms_toolbar_shows_the_site_name_not_example_com(client, settings, django_user_model):
    from cmsplugins.site import site_apply_settings

    settings.SITE_NAME = "Acme Shop"
    site_apply_settings()
    cms_page("Shop", "shop")
    client.force_login(django_user_model.objects.create_superuser("boss", "boss@shop.example", "pw"))

    content = client.get("/pages/shop/?toolbar_on").content.decode()

    assert "Acme Shop" in content
    assert "example.com" not in content


def test_load_demo_names_the_admin_menu_that_exists(client, django_user_model):
    out = StringIO()
    LoadDemo(stdout=out)._drafts([make_product()])
    client.force_login(django_user_model.objects.create_superuser("boss", "boss@shop.example", "pw"))

    index = client.get("/admin/").content.decode()

    assert "appear in Content > Review queue" in out.getvalue()
    assert ">Review queue<" in index
