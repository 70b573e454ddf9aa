"""The site's domain and name come from settings (SITE_DOMAIN, SITE_NAME), not Django's "example.com".

django.contrib.sites creates its one Site row as "example.com", and the CMS toolbar shows that name
on every page. After each ``migrate`` (``make run`` migrates at every start) the row is set from the
settings, so the environment stays the one place they are configured.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sites.models import Site


def site_apply_settings(*, using: str = "default") -> Site:
    """Create or update the current Site from SITE_DOMAIN and SITE_NAME; idempotent."""
    site, _ = Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": settings.SITE_DOMAIN, "name": settings.SITE_NAME}
    )
    Site.objects.clear_cache()
    return site


def site_after_migrate(sender, using="default", **kwargs) -> None:
    site_apply_settings(using=using)
