"""The WSGI application (gunicorn ``ecomcms.wsgi:application``; runserver reads WSGI_APPLICATION).

Built like ``django.core.wsgi.get_wsgi_application()``, with ``ecomcms.http.WSGIHandler`` so a
request whose Content-Type names a charset no text can be read in is a 400, not a 500.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomcms.settings")
django.setup(set_prefix=False)

from ecomcms.http import WSGIHandler  # noqa: E402  (after setup: it loads the middleware)

application = WSGIHandler()
