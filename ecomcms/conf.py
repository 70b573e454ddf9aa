"""The settings ecomcms reads, each with its default, so a host project sets only what it changes.

This product's own project (``ecomcms/settings.py``) sets every one of them from environment
variables; a shop that adds the apps to its own django CMS project may set none. App code reads them
here, at the moment of use (never at import), so ``override_settings`` and pytest-django's
``settings`` fixture apply::

    from ecomcms.conf import conf
    conf.ECOMCMS_GENERATION_BATCH_SIZE      # the project's value, else 8

Django's own settings (``DEBUG``, ``DEFAULT_FROM_EMAIL``, ``AUTH_USER_MODEL``...) are read from
``django.conf.settings`` as usual. An app with settings of its own declares them in its ``conf.py``
on top of these (``support.conf``, ``cmsplugins.conf``). docs/settings.md lists every setting.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings as django_settings

_MISSING = object()


class Derived:
    """A default computed from other settings when it is read (``Derived(lambda conf: conf.X + 60)``)."""

    def __init__(self, compute: Callable[[AppSettings], Any]):
        self.compute = compute


class AppSettings:
    """Attribute access to a fixed set of settings: the project's value when it sets one, else the default."""

    def __init__(self, defaults: dict[str, Any], *, base: AppSettings | None = None):
        self._defaults = {**(base._defaults if base else {}), **defaults}

    def __getattr__(self, name: str) -> Any:
        try:
            default = self._defaults[name]
        except KeyError:
            raise AttributeError(f"{name} is not an ecomcms setting (see docs/settings.md)") from None
        value = getattr(django_settings, name, _MISSING)
        if value is not _MISSING:
            return value
        return default.compute(self) if isinstance(default, Derived) else default

    def __dir__(self):
        return sorted(self._defaults)

    @property
    def names(self) -> list[str]:
        return sorted(self._defaults)

    def default(self, name: str) -> Any:
        """The default of ``name`` whatever the project sets (for documentation and tests)."""
        default = self._defaults[name]
        return default.compute(self) if isinstance(default, Derived) else default


# Backends by short name; ECOMCMS_TEXT_BACKEND takes one of these or a dotted path.
TEXT_BACKENDS = {
    "transformers": "ecomcms.inference.transformers_backend.TransformersGenerator",
    "openai": "ecomcms.inference.openai_backend.OpenAICompatibleGenerator",
}

# The API schema's own settings (drf-spectacular), whatever a project's SPECTACULAR_SETTINGS say (ecomcms.host_urls).
API_SCHEMA_SETTINGS = {
    "TITLE": "ecomcms API",
    "DESCRIPTION": "Storefront catalogue with published copy, shopper events, recommendations and support tickets.",
    "VERSION": "1.0.0",
    "ENUM_NAME_OVERRIDES": {
        "CopyKind": "content.models.CopyKind",
        "DraftStatus": "content.models.DraftStatus",
        "EventType": "recommender.models.EventType",
        "TicketStatus": "support.models.TicketStatus",
        "TicketChannel": "support.models.Channel",
        "CustomerChannel": "support.models.CUSTOMER_CHANNELS",
        "SuggestionStatus": "support.models.ReplySuggestion.Status",
    },
}

# Rates of the API throttles when the project's REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] has none for the scope.
API_THROTTLE_RATES = {"anon": "120/min", "token": "1200/min"}


def _data_dir(conf: AppSettings) -> Path:
    return (Path(getattr(django_settings, "BASE_DIR", None) or Path.cwd()) / "var").resolve()


def _model_cache(conf: AppSettings) -> Path:
    return (Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ecomcms").resolve()


conf = AppSettings({
    # Files the product writes: trained recommender versions, intent models, fine-tuned adapters.
    # Web and worker processes must see the same folder.
    "ECOMCMS_DATA_DIR": Derived(_data_dir),
    # --- model runtime ---
    "ECOMCMS_MODEL_CACHE": Derived(_model_cache),
    "ECOMCMS_TEXT_MODEL": "smollm2",
    "ECOMCMS_EMBEDDING_MODEL": "all-MiniLM-L6-v2",
    "ECOMCMS_TEXT_BACKEND": TEXT_BACKENDS["transformers"],
    "ECOMCMS_EMBEDDING_BACKEND": "ecomcms.inference.sentence_transformers_backend.SentenceTransformersEmbedder",
    "ECOMCMS_DEVICE": "auto",
    "ECOMCMS_TEXT_DTYPE": "auto",
    "ECOMCMS_TEXT_QUANTIZE": "none",
    "ECOMCMS_TORCH_THREADS": 0,
    "ECOMCMS_GENERATION_BATCH_SIZE": 8,
    "ECOMCMS_EMBEDDING_BATCH_SIZE": 32,
    "ECOMCMS_OPENAI_BASE_URL": "",
    "ECOMCMS_OPENAI_MODEL": "",
    "ECOMCMS_OPENAI_API_KEY": "",
    "ECOMCMS_OPENAI_TIMEOUT": 120.0,
    "ECOMCMS_OPENAI_CONNECT_TIMEOUT": 5.0,
    "ECOMCMS_OPENAI_CONCURRENCY": 8,
    "ECOMCMS_OPENAI_RETRIES": 3,
    "ECOMCMS_OPENAI_EXTRA_BODY": {},
    # --- workers ---
    # Celery's hard time limit, also the age after which a claim belonged to a dead worker.
    "CELERY_TASK_TIME_LIMIT": 660,
    "ECOMCMS_GENERATION_LEASE_SECONDS": Derived(lambda conf: conf.CELERY_TASK_TIME_LIMIT + 60),
    "ECOMCMS_TRAINING_TIME_LIMIT": 6 * 3600,
    "ECOMCMS_WORKER_HEARTBEAT_TIMEOUT": 90,
    "ECOMCMS_WORKER_HEARTBEAT_SECONDS": 20,  # how often a worker writes its heartbeat (models, its metrics)
    "ECOMCMS_WORKER_PRELOAD": True,
    # --- operations (docs/deployment.md) ---
    # /metrics answers a scraper with this bearer token, or from one of these networks; neither: 404.
    "METRICS_TOKEN": "",
    "METRICS_ALLOWED_NETWORKS": [],
    "LOG_FORMAT": "plain",  # or "json": one object per line (ecomcms.monitoring.logs.JsonFormatter)
    # --- API and imports ---
    "API_MAX_BODY_BYTES": 2 * 1024 * 1024,
    "API_CACHE_MAX_AGE": 60,
    # Seconds a rendered catalogue page stays in the cache (0: off); any catalogue change makes it stale at once.
    "API_CATALOG_CACHE_SECONDS": 300,
    "IMPORT_MAX_LINE_BYTES": 4 * 1024 * 1024,
    "IMPORT_MAX_JSON_BYTES": 256 * 1024 * 1024,
})


def text_backend_path(value: str) -> str:
    """``ECOMCMS_TEXT_BACKEND`` as a dotted path (a short name from ``TEXT_BACKENDS`` resolved)."""
    return TEXT_BACKENDS.get(value, value)
