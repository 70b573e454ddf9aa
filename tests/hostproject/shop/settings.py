"""A shop's own django CMS site with ecomcms added, as the README's "Add ecomcms to an existing django CMS
project" says: INSTALLED_APPS, URLs, a Celery app, and the few ecomcms settings this shop changes.

Nothing comes from ecomcms/settings.py (the product's own project): every other ecomcms setting keeps the
default the apps carry (docs/settings.md). The database and broker come from the environment, as
tests/hostproject/run_check.py sets them.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "host-check-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "cms",
    "menus",
    "treebeard",
    "sekizai",
    # ecomcms: the REST framework and schema it serves with, the runtime, the apps, the CMS plugins.
    "rest_framework",
    "drf_spectacular",
    "ecomcms",
    "content",
    "recommender",
    "support",
    "storefront",
    "privacy",
    "insights",
    "cmsplugins",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cms.middleware.user.CurrentUserMiddleware",
    "cms.middleware.page.CurrentPageMiddleware",
    "cms.middleware.toolbar.ToolbarMiddleware",
    "cms.middleware.language.LanguageCookieMiddleware",
]

ROOT_URLCONF = "shop.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sekizai.context_processors.sekizai",
                "cms.context_processors.cms_settings",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

SITE_ID = 1
CMS_TEMPLATES = [("shop/page.html", "Shop page")]
X_FRAME_OPTIONS = "SAMEORIGIN"
# django CMS 5.1's page manager is not yet the one treebeard 6 will demand (the CMS's, not ecomcms's).
SILENCED_SYSTEM_CHECKS = ["treebeard.E001"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"

# drf-spectacular's schema class, for /api/schema/ (the standard drf-spectacular setting).
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}

# Celery: the broker from the environment, else kombu's filesystem transport under var/broker.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    _broker = BASE_DIR / "var" / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "processed_folder": str(_broker / "processed"),
        "control_folder": str(_broker / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
CELERY_TASK_DEFAULT_QUEUE = "shop"  # the shop's own default queue: ecomcms's bookkeeping tasks go there too

# What this shop changes of ecomcms's settings (docs/settings.md); everything else keeps its default.
ECOMCMS_DATA_DIR = BASE_DIR / "var"
ECOMCMS_TEXT_BACKEND = "ecomcms.inference.fake.FakeGenerator"  # the check needs no model weights
ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.fake.FakeEmbedder"
SUPPORT_SHOP_NAME = "The Host Shop"
