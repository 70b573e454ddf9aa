from django.apps import apps
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from ecomcms.health import healthz, healthz_live
from ecomcms.monitoring.views import metrics
from ecomcms.views import favicon, home

admin.site.site_header = "ecomcms"
admin.site.site_title = "ecomcms"
admin.site.site_url = (
    "/" if apps.is_installed("cms") else None
)  # "View site" (a public CMS page): only where there is one

# django CMS pages, when the `cms` extra is on (settings); before the API's catch-all JSON 404.
cms_urlpatterns = [path("pages/", include("cms.urls"))] if apps.is_installed("cms") else []

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),  # readiness, as /healthz/ready (kept for existing probes)
    path("healthz/ready", healthz, name="healthz-ready"),
    path("healthz/live", healthz_live, name="healthz-live"),
    path("metrics", metrics, name="metrics"),  # Prometheus; 404 unless METRICS_TOKEN or METRICS_ALLOWED_NETWORKS
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    *cms_urlpatterns,
    path("api/v1/", include("content.urls")),
    path("api/v1/", include("recommender.urls")),
    path("api/v1/", include("support.urls")),
    path("api/v1/", include("storefront.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Redoc from our static files, and a template without drf-spectacular's Google Fonts links.
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema", template_name="ecomcms/redoc.html"),
         name="api-docs"),
]
