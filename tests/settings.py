"""Test settings: the project's settings with a data folder of their own.

A test run never shares its SQLite files or filesystem-broker folders with a
`make run` instance on the same machine. Everything else comes from the same
environment variables as production (CI sets DATABASE_URL and CELERY_BROKER_URL).
"""

import os
from pathlib import Path

os.environ.setdefault("ECOMCMS_DATA_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

from ecomcms.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
