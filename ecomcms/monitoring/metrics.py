"""Prometheus metrics from three sources, served together at ``/metrics`` (``ecomcms.monitoring.views``).

1. **Requests**, measured by the web process that serves them (``ecomcms_http_request_duration_seconds``,
   by URL pattern; ``ecomcms.monitoring.middleware``), with the process's own CPU and memory. With several
   gunicorn worker processes, set ``PROMETHEUS_MULTIPROC_DIR`` for gunicorn (a folder emptied at each start)
   so every process writes its numbers there and any of them answers a scrape with the sum
   (prometheus_client's multiprocess mode; deploy/gunicorn.conf.py marks dead processes).
2. **State read at scrape time** from the database and the broker: queue depths, drafts by status, triage
   latency, the recommender version's age, the models live workers loaded. Every web process gives the
   same answer. Each app contributes its own in a ``metrics.py`` module whose functions are registered
   with ``@scrape_collector``; the first scrape imports those modules, as the admin autodiscovers
   ``admin.py``, so this floor never imports an app.
3. **What workers measure while they work** (text-model batch sizes, tokens and seconds). Celery workers
   are other processes, often on other hosts, with no port for Prometheus to scrape. They count in
   ``WORKER_REGISTRY``; the heartbeat thread (``ecomcms.worker``) stores a snapshot of it in the
   process's ``WorkerHeartbeat`` row (every ``ECOMCMS_WORKER_HEARTBEAT_SECONDS``, 20), and a scrape
   re-exposes the snapshots of the live workers labelled ``worker`` (node name) and ``pid``. A number
   is at most one heartbeat late; the counters start again with each worker process, which
   Prometheus' ``rate()`` expects.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

# --- 3. Measured in worker processes, reported through the heartbeat ---------------------------------
WORKER_REGISTRY = CollectorRegistry(auto_describe=True)

GENERATION_BATCH_SIZE = Histogram(
    "ecomcms_generation_batch_size", "Prompts per text-model call.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=WORKER_REGISTRY,
)
GENERATION_TOKENS = Counter(
    "ecomcms_generation_tokens", "Tokens the text model wrote (output tokens, all prompts of a call).",
    registry=WORKER_REGISTRY,
)
GENERATION_SECONDS = Counter(
    "ecomcms_generation_seconds",
    "Wall time in text-model calls; rate(ecomcms_generation_tokens_total) / rate(this) is tokens per second.",
    registry=WORKER_REGISTRY,
)
GENERATION_TOKENS_PER_SECOND = Histogram(
    "ecomcms_generation_tokens_per_second", "Output tokens per second of each text-model call (the whole batch).",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000), registry=WORKER_REGISTRY,
)
GENERATION_FAILURES = Counter(
    "ecomcms_generation_failures", "Text-model calls that raised instead of answering.", registry=WORKER_REGISTRY,
)


def observe_generation_batch(*, prompts: int, tokens_out: int, seconds: float) -> None:
    """Count one text-model call of ``prompts`` prompts that wrote ``tokens_out`` tokens in ``seconds``."""
    GENERATION_BATCH_SIZE.observe(prompts)
    GENERATION_TOKENS.inc(max(tokens_out, 0))
    GENERATION_SECONDS.inc(max(seconds, 0.0))
    if seconds > 0:
        GENERATION_TOKENS_PER_SECOND.observe(tokens_out / seconds)


def instrument_generator(generator) -> None:
    """Count every ``generate`` call of this process's text generator (the registry calls it once per load).

    Sets ``generate`` on the instance, so the object stays what it was (its type, its other methods,
    ``score`` or not); the wrapper looks the backend's method up at each call, so a test that patches
    the class still reaches its patch. Whatever the backend, each call is one batch.
    """
    own = getattr(generator, "__dict__", {}).get("generate")  # a backend that set its own on the instance keeps it

    def generate(*args, **kwargs):
        return own(*args, **kwargs) if own is not None else type(generator).generate(generator, *args, **kwargs)

    def counted_generate(prompts, *args, **kwargs):
        started = time.perf_counter()
        try:
            results = generate(prompts, *args, **kwargs)
        except Exception:
            GENERATION_FAILURES.inc()
            raise
        observe_generation_batch(prompts=len(prompts), tokens_out=sum(r.tokens_out for r in results),
                                 seconds=time.perf_counter() - started)
        return results

    counted_generate.__wrapped__ = generate
    try:
        generator.generate = counted_generate
    except AttributeError:  # a backend with __slots__ or a read-only attribute: not counted, still served
        logger.info("metrics: %s cannot be instrumented; its batches are not counted", type(generator).__name__)


def worker_snapshot() -> list[dict]:
    """This process's worker metrics as JSON-ready data, for its heartbeat row."""
    families = []
    for metric in WORKER_REGISTRY.collect():
        samples = [[s.name, dict(s.labels), s.value] for s in metric.samples if not s.name.endswith("_created")]
        families.append({"name": metric.name, "type": metric.type, "help": metric.documentation, "samples": samples})
    return families


_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_TYPES = {"counter", "gauge", "histogram", "summary", "unknown"}


def worker_families(heartbeats: Iterable) -> list[Metric]:
    """The snapshots of several workers' heartbeats as metric families, each sample labelled with its worker.

    One family per name (samples of all workers together); anything malformed is skipped, never a
    broken scrape.
    """
    merged: dict[str, Metric] = {}
    for heartbeat in heartbeats:
        for family in heartbeat.metrics if isinstance(heartbeat.metrics, list) else []:
            try:
                name, kind, samples = family["name"], family["type"], family["samples"]
                if not (_NAME.match(name) and kind in _TYPES):
                    continue
                metric = merged.setdefault(name, Metric(name, str(family.get("help", "")), kind))
                if metric.type != kind:
                    continue
                for sample_name, labels, value in samples:
                    if _NAME.match(sample_name) and all(_NAME.match(key) for key in labels):
                        metric.add_sample(sample_name, {**labels, "worker": heartbeat.name, "pid": str(heartbeat.pid)},
                                          float(value))
            except (KeyError, TypeError, ValueError, AttributeError):
                logger.warning("worker %s pid %s: unreadable metrics snapshot skipped", heartbeat.name, heartbeat.pid)
    return list(merged.values())


# --- 2. Read at scrape time -----------------------------------------------------------------------------
_collectors: dict[str, Callable[[], Iterable[Metric]]] = {}
_discovered = False
_discover_lock = threading.Lock()


def scrape_collector(name: str):
    """Register a function that returns metric families, read at each scrape (an app's ``metrics.py``).

    ``name`` identifies it in ``ecomcms_metrics_collector_up``: a collector that raises (its database
    or broker is down) reports 0 there and the rest of the scrape still answers.
    """
    def register(function: Callable[[], Iterable[Metric]]):
        _collectors[name] = function
        return function
    return register


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    with _discover_lock:
        if not _discovered:
            from django.utils.module_loading import autodiscover_modules

            from ecomcms.monitoring import collectors  # noqa: F401  (the floor's own: broker, workers)

            autodiscover_modules("metrics")
            _discovered = True


def _process_metrics() -> Iterable[Metric]:
    """This web process's own metrics, or all gunicorn processes' in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        # This process's (empty) copies of the worker metrics are in the folder too: the workers' own
        # come from their heartbeats, and one name must not appear twice.
        worker_names = {metric.name for metric in WORKER_REGISTRY.collect()}
        return (metric for metric in registry.collect() if metric.name not in worker_names)
    return REGISTRY.collect()


class _Scrape:
    """What one scrape returns: the process's metrics, then every registered collector's."""

    def collect(self):
        yield from _process_metrics()
        up = GaugeMetricFamily("ecomcms_metrics_collector_up", "1 when the collector answered at this scrape, "
                               "0 when it failed (its database or broker is down; see the log).", labels=["collector"])
        took = GaugeMetricFamily("ecomcms_metrics_collector_seconds", "Time each collector took at this scrape.",
                                 labels=["collector"])
        for name, function in sorted(_collectors.items()):
            started = time.perf_counter()
            try:
                families = list(function())
                ok = 1
            except Exception:  # a database or broker failure must not take the whole scrape down
                logger.warning("metrics collector %s failed", name, exc_info=True)
                families, ok = [], 0
            yield from families
            up.add_metric([name], ok)
            took.add_metric([name], time.perf_counter() - started)
        yield up
        yield took


def render() -> tuple[bytes, str]:
    """The Prometheus text exposition of everything above, and its content type."""
    _discover()
    return generate_latest(_Scrape()), CONTENT_TYPE_LATEST
