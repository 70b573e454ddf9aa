from django.contrib import admin
from django.urls import path

from ecomcms.health import healthz

admin.site.site_header = "ecomcms"
admin.site.site_title = "ecomcms"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
