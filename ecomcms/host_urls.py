"""The URLs a project includes to serve ecomcms: the API, its schema and docs, and the health checks.

A host project adds one line to its URLconf, before any catch-all of its own (django CMS's pages)::

    path("", include("ecomcms.host_urls")),

which serves ``/api/v1/...`` (catalogue, events, recommendations, tickets, the staff workflow; any
other path under it is a JSON 404), ``/api/schema/`` and ``/api/docs/`` (the OpenAPI schema and its
Redoc page), ``/healthz``, ``/healthz/ready``, ``/healthz/live``, and ``/metrics`` (Prometheus: a 404 until
``METRICS_TOKEN`` or ``METRICS_ALLOWED_NETWORKS`` is set, docs/settings.md). The admin pages (review queue,
tickets, recommender versions...) come with the project's own ``admin.site.urls``. The pieces are
also importable alone (``api_urlpatterns``, ``health_urlpatterns``) for another layout.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from ecomcms.conf import API_SCHEMA_SETTINGS
from ecomcms.health import healthz, healthz_live
from ecomcms.monitoring.views import metrics

health_urlpatterns = [
    path("healthz", healthz, name="healthz"),  # readiness, as /healthz/ready (kept for existing probes)
    path("healthz/ready", healthz, name="healthz-ready"),
    path("healthz/live", healthz_live, name="healthz-live"),
    path("metrics", metrics, name="metrics"),  # Prometheus; 404 unless METRICS_TOKEN or METRICS_ALLOWED_NETWORKS
]

api_urlpatterns = [
    path("api/v1/", include("content.urls")),
    path("api/v1/", include("recommender.urls")),
    path("api/v1/", include("support.urls")),
    path("api/v1/", include("storefront.urls")),  # last: it ends with the JSON 404 for any other /api/v1/ path
    # The schema's title and enum names whatever the project's SPECTACULAR_SETTINGS say.
    path("api/schema/", SpectacularAPIView.as_view(custom_settings=API_SCHEMA_SETTINGS), name="api-schema"),
    # A template without drf-spectacular's Google Fonts links; Redoc itself from SPECTACULAR_SETTINGS["REDOC_DIST"].
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema", template_name="ecomcms/redoc.html"),
         name="api-docs"),
]

urlpatterns = [*health_urlpatterns, *api_urlpatterns]
