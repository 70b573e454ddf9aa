"""Worker-process services: model preload and the heartbeat behind /healthz and /metrics."""

from __future__ import annotations

import logging
import os
import threading

from django.db import connection
from django.db.utils import DatabaseError
from django.utils import timezone

from ecomcms import inference
from ecomcms.conf import conf
from ecomcms.monitoring import metrics

logger = logging.getLogger(__name__)

_MODELS_FOR_QUEUE = {"generation": ["text", "embeddings"], "default": ["embeddings"]}


def models_for_queues(queues: list[str], default_queue: str = "default") -> list[str]:
    """The models a worker serving ``queues`` needs; the Celery app's default queue (``default`` here,
    ``celery`` in a host project that keeps Celery's) carries the embedding work."""
    kinds: list[str] = []
    for queue in queues:
        for kind in _MODELS_FOR_QUEUE.get("default" if queue == default_queue else queue, []):
            if kind not in kinds:
                kinds.append(kind)
    return kinds


def write_heartbeat(*, name: str, queues: list[str], started_at) -> None:
    from ecomcms.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        name=name or "worker",
        pid=os.getpid(),
        defaults={"queues": queues, "loaded": inference.loaded(), "metrics": metrics.worker_snapshot(),
                  "started_at": started_at, "last_seen": timezone.now()},
    )


def start_worker_services(*, name: str, queues: list[str], default_queue: str = "default") -> None:
    started_at = timezone.now()
    kinds = models_for_queues(queues, default_queue)
    stop = threading.Event()

    def beat_forever():
        while not stop.is_set():
            try:
                write_heartbeat(name=name, queues=queues, started_at=started_at)
            except DatabaseError as exc:  # the database may be restarting: try again next beat
                logger.warning("worker heartbeat failed: %s", exc)
            finally:
                connection.close()
            stop.wait(conf.ECOMCMS_WORKER_HEARTBEAT_SECONDS)

    def preload():
        for kind in kinds:
            try:
                inference.get_generator() if kind == "text" else inference.get_embedder()
                logger.info("worker %s loaded the %s model", name, kind)
            except inference.ModelError as exc:
                logger.error("worker %s could not load the %s model: %s", name, kind, exc)
        try:
            write_heartbeat(name=name, queues=queues, started_at=started_at)
        except DatabaseError as exc:
            logger.warning("worker heartbeat failed: %s", exc)
        finally:
            connection.close()

    threading.Thread(target=beat_forever, name="ecomcms-heartbeat", daemon=True).start()
    if kinds and conf.ECOMCMS_WORKER_PRELOAD:
        threading.Thread(target=preload, name="ecomcms-preload", daemon=True).start()
