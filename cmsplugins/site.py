"""The site's domain and name come from settings (SITE_DOMAIN, SITE_NAME), not Django's "example.com".

django.contrib.sites creates its one Site row as "example.com", and the CMS toolbar shows that name
on every page. After each ``migrate`` (``make run`` migrates at every start) the row is set from the
settings, so the environment stays the one place they are configured. A host project that sets
neither keeps its Site row as it is: the site is the host's.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sites.models import Site

from cmsplugins.conf import conf


def site_apply_settings(*, using: str = "default") -> Site | None:
    """Create or update the current Site from SITE_DOMAIN and SITE_NAME (those set); idempotent.

    None, and the Site row untouched, when neither is set."""
    values = {field: value for field, value in (("domain", conf.SITE_DOMAIN), ("name", conf.SITE_NAME)) if value}
    if not values:
        return None
    site, _ = Site.objects.using(using).update_or_create(pk=settings.SITE_ID, defaults=values)
    Site.objects.clear_cache()
    return site


def site_after_migrate(sender, using="default", **kwargs) -> None:
    site_apply_settings(using=using)
