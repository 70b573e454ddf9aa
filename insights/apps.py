from django.apps import AppConfig
from django.db.models.signals import post_migrate


class InsightsConfig(AppConfig):
    """Sentiment and brand monitoring: weekly review and ticket figures, spike alerts, subscriptions."""

    name = "insights"
    label = "ecomcms_insights"  # unique in a host project that has its own "insights" app
    verbose_name = "Monitoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from insights import sentiment_finetuning  # noqa: F401  (registers the insights.sentiment purpose)
        from insights.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self)
