"""The floor's scrape-time metrics: Celery queue depths from the broker, and the live workers' heartbeats
(which models they loaded, and the metrics they measured: ``ecomcms.monitoring.metrics``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from ecomcms.conf import conf
from ecomcms.monitoring.metrics import scrape_collector, worker_families

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def queue_names() -> list[str]:
    """Every queue the Celery app sends to: the default one and those its routes name."""
    from celery import current_app as app  # this product's app, or a host project's

    names = [app.conf.task_default_queue or "celery"]
    routes = app.conf.task_routes or {}
    for route in routes.values() if isinstance(routes, dict) else []:
        queue = route.get("queue") if isinstance(route, dict) else None
        if queue and queue not in names:
            names.append(queue)
    return names


def _queue_depth(connection, name: str) -> int:
    """Messages ready in one queue: a passive declare (AMQP's message count; Redis and the filesystem
    transport count their list or folder). A queue the broker does not know yet holds nothing."""
    channel = connection.channel()
    try:
        return int(channel.queue_declare(queue=name, passive=True).message_count)
    except Exception as exc:  # kombu's ChannelError (virtual transports) or py-amqp's NotFound, both "404"
        if "404" in str(getattr(exc, "code", "")) or "NOT_FOUND" in str(exc) or type(exc).__name__ == "NotFound":
            return 0
        raise
    finally:
        try:
            channel.close()
        except Exception:  # a channel the broker closed after a 404 may refuse a second close
            pass


@scrape_collector("broker")
def queue_depths():
    """``ecomcms_queue_messages{queue}``: one short broker connection per scrape (2 s timeout)."""
    from celery import current_app as app  # this product's app, or a host project's

    depth = GaugeMetricFamily("ecomcms_queue_messages", "Messages waiting in each Celery queue (read from the "
                              "broker at scrape time; tasks a worker holds are not counted).", labels=["queue"])
    up = GaugeMetricFamily("ecomcms_broker_up", "1 when the broker answered this scrape, else 0.")
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
            for name in queue_names():
                depth.add_metric([name], _queue_depth(connection, name))
        up.add_metric([], 1)
    except Exception as exc:  # kombu surfaces socket, auth and transport errors with many types
        logger.warning("metrics: broker unreachable: %s: %s", type(exc).__name__, exc)
        up.add_metric([], 0)
        return [up]
    return [depth, up]


@scrape_collector("workers")
def workers():
    """Live workers (heartbeat within ``ECOMCMS_WORKER_HEARTBEAT_TIMEOUT``), their models and their metrics."""
    from celery import current_app

    from ecomcms.models import WorkerHeartbeat
    from ecomcms.worker import models_for_queues

    timeout = conf.ECOMCMS_WORKER_HEARTBEAT_TIMEOUT
    live = list(WorkerHeartbeat.objects.filter(last_seen__gte=timezone.now() - timedelta(seconds=timeout)))
    processes = GaugeMetricFamily("ecomcms_worker_processes", "Live worker processes serving each queue.",
                                  labels=["queue"])
    serving: dict[str, int] = {name: 0 for name in queue_names()}
    models = GaugeMetricFamily(
        "ecomcms_model_workers", "Live worker processes by model and load state: ready, loading (its queue needs "
        "the model, not loaded yet) or error (the load failed; /healthz says why).", labels=["kind", "state"])
    states = {(kind, state): 0 for kind in ("text", "embeddings") for state in ("ready", "loading", "error")}
    for heartbeat in live:
        for queue in heartbeat.queues or []:
            serving[queue] = serving.get(queue, 0) + 1
        loaded = heartbeat.loaded or {}
        for kind in set(models_for_queues(heartbeat.queues or [], current_app.conf.task_default_queue)) | set(loaded):
            state = (loaded.get(kind) or {}).get("status")
            key = (kind, state if state in ("ready", "error") else "loading")
            states[key] = states.get(key, 0) + 1
    for queue, count in serving.items():
        processes.add_metric([queue], count)
    for (kind, state), count in sorted(states.items()):
        models.add_metric([kind, state], count)
    return [processes, models, *worker_families(live)]
