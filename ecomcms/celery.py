"""The Celery app. Workers load their models once per process, after the fork.

Queues: ``generation`` (the LLM: one task at a time, late ack, prefetch 1) and
``default`` (embeddings and everything else). Start one worker per queue so a
long generation batch never holds up embedding or bookkeeping work::

    celery -A ecomcms worker -Q generation --concurrency 1 -n generation@%h
    celery -A ecomcms worker -Q default --concurrency 1 -n default@%h
"""

from __future__ import annotations

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ecomcms.settings")

app = Celery("ecomcms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_QUEUES_ENV = "ECOMCMS_WORKER_QUEUES"


@signals.celeryd_init.connect
def _remember_queues(sender=None, instance=None, conf=None, options=None, **kwargs):
    """Tell the forked pool processes which queues they serve, so they preload the right model."""
    queues = (options or {}).get("queues") or conf.task_default_queue
    if isinstance(queues, (list, tuple)):
        queues = ",".join(queues)
    os.environ[_QUEUES_ENV] = queues
    os.environ["ECOMCMS_WORKER_NAME"] = sender or ""


@signals.worker_process_init.connect
def _start_model_preload(**kwargs):
    """Load this process's models in the background and keep a heartbeat for /healthz.

    The load runs in a thread because Celery kills a pool process whose init takes
    more than a few seconds; a task that arrives meanwhile waits on the loader's lock.
    """
    from ecomcms.worker import start_worker_services

    queues = [q for q in os.environ.get(_QUEUES_ENV, "default").split(",") if q]
    start_worker_services(name=os.environ.get("ECOMCMS_WORKER_NAME", ""), queues=queues)


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _json_log_lines(logger=None, **kwargs):
    """LOG_FORMAT=json: Celery's own handlers write JSON lines too (Celery replaces Django's on the root logger)."""
    from ecomcms.conf import conf

    if conf.LOG_FORMAT != "json" or logger is None:
        return
    from ecomcms.monitoring.logs import JsonFormatter

    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
