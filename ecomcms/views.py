"""Project-wide views that belong to no app."""

from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static


def favicon(request):
    """Browsers ask every site for /favicon.ico: point them at the static icon instead of a 404."""
    return HttpResponsePermanentRedirect(static("ecomcms/favicon.svg"))
