from django.apps import AppConfig


class EcomcmsConfig(AppConfig):
    name = "ecomcms"
    verbose_name = "ecomcms runtime"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        _fix_axes_admin()


def _fix_axes_admin() -> None:
    """django-axes 8.3.1's "Clean up expired attempts" action answers a 500 (it reads an attribute only a
    login request has): offer the attempts without it. Lifting a lockout is deleting its attempt."""
    from django.apps import apps
    from django.contrib import admin

    if not apps.is_installed("axes"):  # optional: a host project may not use django-axes
        return
    from axes.admin import AccessAttemptAdmin
    from axes.models import AccessAttempt

    if not admin.site.is_registered(AccessAttempt):
        return

    class LockoutAdmin(AccessAttemptAdmin):
        actions = ["delete_selected"]

    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, LockoutAdmin)
