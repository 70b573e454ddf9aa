"""Project-wide views that belong to no app."""

from django.apps import apps
from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from django.templatetags.static import static


def favicon(request):
    """Browsers ask every site for /favicon.ico: point them at the static icon instead of a 404."""
    return HttpResponsePermanentRedirect(static("ecomcms/favicon.svg"))


def home(request):
    """The site's root: the CMS pages when django CMS is on, else the admin (the product has no shop front)."""
    return HttpResponseRedirect("/pages/" if apps.is_installed("cms") else "/admin/")
