"""Project-wide views that belong to no app."""

from django.apps import apps
from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from django.templatetags.static import static


def favicon(request):
    """Browsers ask every site for /favicon.ico: point them at the static icon instead of a 404."""
    return HttpResponsePermanentRedirect(static("ecomcms/favicon.svg"))


def home(request):
    """The site's root: a public CMS page when django CMS is on and has one, else the admin.

    Not ``/pages/`` blindly: without a CMS home page django CMS sends that address to its admin,
    so an anonymous visitor would end at the staff login instead of the shop.
    """
    return HttpResponseRedirect(_public_cms_page_url(request) or "/admin/")


def _public_cms_page_url(request) -> str | None:
    if not apps.is_installed("cms"):
        return None
    from cms.models import Page
    from django.contrib.sites.shortcuts import get_current_site

    pages = Page.objects.on_site(get_current_site(request)).filter(login_required=False)
    page = pages.filter(is_home=True).first() or pages.filter(depth=1).order_by("path").first()
    return page.get_absolute_url() if page is not None else None
