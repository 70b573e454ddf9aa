from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),  # ecomcms's admin pages come with the admin
    path("", include("ecomcms.host_urls")),  # /api/v1/..., /api/schema/, /api/docs/, /healthz
    path("", include("cms.urls")),  # the CMS's pages: last, they take every other path
]
