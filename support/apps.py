from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SupportConfig(AppConfig):
    name = "support"
    label = "ecomcms_support"  # unique in a host project that has its own "support" app
    verbose_name = "Support"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from support import (
            finetuning,  # noqa: F401  (registers the support.reply fine-tuning purpose)
            intent_finetuning,  # noqa: F401  (registers the support.intent fine-tuning purpose)
        )
        from support.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
