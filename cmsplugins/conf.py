"""The CMS plugins' settings with their defaults, on top of the runtime's (``ecomcms.conf``).

``SITE_DOMAIN`` and ``SITE_NAME``: when set, every ``migrate`` writes them to the current Site row
(``cmsplugins/site.py``); unset (a host project's default), the Site row is the host's and is left alone.
"""

from __future__ import annotations

from ecomcms.conf import AppSettings, conf as ecomcms_conf

conf = AppSettings({
    "SITE_DOMAIN": None,
    "SITE_NAME": None,
}, base=ecomcms_conf)
