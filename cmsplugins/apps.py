from django.apps import AppConfig


class CmsPluginsConfig(AppConfig):
    """django CMS plugins for published copy and recommendations (the optional ``cms`` extra)."""

    name = "cmsplugins"
    verbose_name = "CMS plugins"
    default_auto_field = "django.db.models.BigAutoField"
