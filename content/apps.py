from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ContentConfig(AppConfig):
    name = "content"
    label = "ecomcms_content"  # unique in a host project that has its own "content" app
    verbose_name = "Content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from content import (
            finetuning,  # noqa: F401  (registers the content.copy fine-tuning purpose)
            strategies,  # noqa: F401  (registers the guarded and planned copy strategies)
        )
        from content.catalog import connect_receivers
        from content.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
        connect_receivers()  # product and published-copy writes make the storefront's cached pages stale
