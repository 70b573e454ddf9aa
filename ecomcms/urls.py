from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from ecomcms.health import healthz

admin.site.site_header = "ecomcms"
admin.site.site_title = "ecomcms"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("content.urls")),
    path("api/v1/", include("recommender.urls")),
    path("api/v1/", include("support.urls")),
    path("api/v1/", include("storefront.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
]
