"""django CMS's request middleware, for the CMS's own requests only: its pages and its admin.

django CMS expects its middleware on every request, and its toolbar middleware then builds a toolbar
for every response: for a signed-in staff member that reads (on the first request creates) the
CMS's user settings and marks the response never-cache, the API's public catalogue reads included.
Scoped to the CMS's paths, the rest of the site (API, admin, health) is served exactly as without
the CMS.

The project sends ``X-Frame-Options: DENY``; the CMS opens its admin (page tree, plugin forms) in
frames of its own pages, so CMS admin pages are sent with ``SAMEORIGIN`` instead, which still
refuses framing by any other site.
"""

from __future__ import annotations

from cms.middleware.page import CurrentPageMiddleware
from cms.middleware.toolbar import ToolbarMiddleware
from cms.middleware.user import CurrentUserMiddleware
from django.urls import reverse


class CMSMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.cms = CurrentUserMiddleware(CurrentPageMiddleware(ToolbarMiddleware(get_response)))
        self._prefixes: tuple[str, str] | None = None

    def prefixes(self) -> tuple[str, str]:
        """(pages, CMS admin), read from the URLconf on first use (it is not loaded when middleware is built)."""
        if self._prefixes is None:
            self._prefixes = (reverse("pages-root"), reverse("admin:index") + "cms/")
        return self._prefixes

    def __call__(self, request):
        pages, cms_admin = self.prefixes()
        if not request.path.startswith((pages, cms_admin)):
            return self.get_response(request)
        response = self.cms(request)
        if request.path.startswith(cms_admin) and response.get("X-Frame-Options") == "DENY":
            response["X-Frame-Options"] = "SAMEORIGIN"
        return response
