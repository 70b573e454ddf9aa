from django.apps import AppConfig


class EcomcmsConfig(AppConfig):
    name = "ecomcms"
    verbose_name = "ecomcms runtime"
    default_auto_field = "django.db.models.BigAutoField"
