from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PrivacyConfig(AppConfig):
    name = "privacy"
    label = "ecomcms_privacy"  # unique in a host project that has its own "privacy" app
    verbose_name = "Privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from privacy.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
