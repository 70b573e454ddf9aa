"""The model runtime: "the text generator" and "the embedder", loaded once per process.

Backends are named by dotted path in settings (``ECOMCMS_TEXT_BACKEND``,
``ECOMCMS_EMBEDDING_BACKEND``) and built on first use. Importing this package
imports no ML library; only the backend modules do.
"""

from __future__ import annotations

import threading

from django.utils.module_loading import import_string

from ecomcms.conf import conf, text_backend_path
from ecomcms.inference.base import (
    ChatPrompt,
    Embedder,
    Embeddings,
    Generation,
    GenerationOptions,
    Grounding,
    ModelError,
    ModelUnavailable,
    Score,
    TextGenerator,
    TextScorer,
)
from ecomcms.inference.sources import embedding_model_source, text_model_source
from ecomcms.monitoring import metrics

__all__ = [
    "ChatPrompt", "Embedder", "Embeddings", "Generation", "GenerationOptions", "Grounding", "ModelError",
    "ModelUnavailable", "Score", "TextGenerator", "TextScorer", "build_embedder", "get_embedder", "get_generator",
    "loaded", "reset",
]

#: The default embedding backend (``ECOMCMS_EMBEDDING_BACKEND``).
SENTENCE_TRANSFORMERS = "ecomcms.inference.sentence_transformers_backend.SentenceTransformersEmbedder"

_lock = threading.Lock()
_instances: dict[str, object] = {}
_errors: dict[str, str] = {}


def _build(kind: str):
    if kind == "text":
        backend = import_string(text_backend_path(conf.ECOMCMS_TEXT_BACKEND))
        if hasattr(backend, "from_settings"):  # a remote backend: no local model files
            return backend.from_settings(conf)
        source = text_model_source(conf.ECOMCMS_TEXT_MODEL)
        return backend(
            source, cache_dir=conf.ECOMCMS_MODEL_CACHE, dtype=conf.ECOMCMS_TEXT_DTYPE,
            threads=conf.ECOMCMS_TORCH_THREADS, device=conf.ECOMCMS_DEVICE,
            quantize=conf.ECOMCMS_TEXT_QUANTIZE,
        )
    return build_embedder(conf.ECOMCMS_EMBEDDING_MODEL, backend=conf.ECOMCMS_EMBEDDING_BACKEND,
                          batch_size=conf.ECOMCMS_EMBEDDING_BATCH_SIZE, threads=conf.ECOMCMS_TORCH_THREADS,
                          device=conf.ECOMCMS_DEVICE)


def build_embedder(model: str, *, backend: str = SENTENCE_TRANSFORMERS, batch_size: int = 32, threads: int = 0,
                   device: str = "auto") -> Embedder:
    """A new embedder for ``model`` (``all-MiniLM-L6-v2`` or a local folder), built the way the process's own is.

    ``get_embedder`` uses it with the settings; command-line tools that run without Django settings
    (``python -m support.intent.evaluate``) call it directly and keep the instance themselves.
    Raises ``ModelUnavailable`` when the model cannot be found or loaded.
    """
    return import_string(backend)(embedding_model_source(model), batch_size=batch_size, threads=threads, device=device)


def _get(kind: str):
    instance = _instances.get(kind)
    if instance is not None:
        return instance
    with _lock:
        if kind not in _instances:
            try:
                instance = _build(kind)
                if kind == "text":  # batch sizes, tokens and seconds for /metrics (via the worker's heartbeat)
                    metrics.instrument_generator(instance)
                _instances[kind] = instance
                _errors.pop(kind, None)
            except Exception as exc:
                # Remembered for /healthz and the worker heartbeat; raised to the caller as a ModelError.
                _errors[kind] = f"{type(exc).__name__}: {exc}"
                if isinstance(exc, ModelError):
                    raise
                raise ModelUnavailable(f"the {kind} model failed to load: {exc}") from exc
        return _instances[kind]


def get_generator() -> TextGenerator:
    """The process's text generator, loaded on first use."""
    return _get("text")


def get_embedder() -> Embedder:
    """The process's embedder, loaded on first use."""
    return _get("embeddings")


def loaded() -> dict[str, dict]:
    """What this process has loaded (or failed to load), for heartbeats and health checks."""
    state = {}
    for kind in ("text", "embeddings"):
        if kind in _instances:
            model = _instances[kind]
            state[kind] = {
                "status": "ready",
                "model_id": model.model_id,
                "load_seconds": round(getattr(model, "load_seconds", 0.0), 2),
                "convert_seconds": round(getattr(model, "convert_seconds", 0.0), 2),
            }
        elif kind in _errors:
            state[kind] = {"status": "error", "error": _errors[kind]}
    return state


def reset() -> None:
    """Forget loaded models (tests switch backends with this)."""
    with _lock:
        _instances.clear()
        _errors.clear()
