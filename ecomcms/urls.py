"""This product's URLconf: its home page, the admin, django CMS pages (with the `cms` extra), and what any
host project includes too (``ecomcms.host_urls``: the API, its docs, the health checks)."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from ecomcms import host_urls
from ecomcms.views import favicon, home

admin.site.site_header = "ecomcms"
admin.site.site_title = "ecomcms"
admin.site.site_url = (
    "/" if apps.is_installed("cms") else None
)  # "View site" (a public CMS page): only where there is one

# django CMS pages, when the `cms` extra is on (settings).
cms_urlpatterns = [path("pages/", include("cms.urls"))] if apps.is_installed("cms") else []

urlpatterns = [
    path("", home, name="home"),
    *host_urls.health_urlpatterns,  # /healthz, /healthz/ready, /healthz/live, /metrics
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    *cms_urlpatterns,
    *host_urls.api_urlpatterns,
]
