from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CmsPluginsConfig(AppConfig):
    """django CMS plugins for published copy and recommendations (the optional ``cms`` extra)."""

    name = "cmsplugins"
    label = "ecomcms_cmsplugins"  # unique in a host project that has its own "cmsplugins" app
    verbose_name = "CMS plugins"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cmsplugins.site import site_after_migrate

        # Once per migrate (sender: this app), after every app's migrations: the sites table exists by then.
        post_migrate.connect(site_after_migrate, sender=self, dispatch_uid="cmsplugins.site_after_migrate")
