"""What a Celery app needs to run ecomcms's tasks: queue routes, the beat schedule and the worker hooks.

This product's own app (``ecomcms/celery.py``) and a host project's app are configured the same way::

    app = Celery("shop")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    ecomcms.celery_config.configure(app)
    app.autodiscover_tasks()

``configure`` adds ``TASK_ROUTES`` and ``BEAT_SCHEDULE`` to what the app already has (the host's own
routes and entries win on a clash) and connects the worker hooks that load a worker's models once
per process, keep the heartbeat ``/healthz`` and ``/metrics`` read, and (``LOG_FORMAT = "json"``) make
Celery's own log handlers write JSON lines. The values are plain data, for a host that
prefers to merge them into its settings itself.

Queues: ``generation`` runs the text model (one task at a time per process: ``--concurrency 1
--prefetch-multiplier 1``), ``training`` the fine-tuning runs, and everything else goes to the app's
default queue (``default`` in this product)::

    celery -A shop worker -Q generation --concurrency 1 --prefetch-multiplier 1 -n generation@%h
    celery -A shop worker -Q celery -n default@%h      # the host's default queue: triage, sweeps, ...
    celery -A shop beat                                # exactly one
"""

from __future__ import annotations

import os

from celery import signals
from celery.schedules import crontab

GENERATION_QUEUE = "generation"
TRAINING_QUEUE = "training"
QUEUES = (GENERATION_QUEUE, TRAINING_QUEUE)  # besides the app's default queue

TASK_ROUTES = {
    "ecomcms.generate_text": {"queue": GENERATION_QUEUE},
    "content.generate_*": {"queue": GENERATION_QUEUE},
    "support.suggest_*": {"queue": GENERATION_QUEUE},
    "ecomcms.train_adapter": {"queue": TRAINING_QUEUE},  # hours of CPU: its own worker, never the generation one
}

BEAT_SCHEDULE = {
    "publish-due-drafts": {"task": "content.publish_due", "schedule": 60.0},
    "sweep-generation": {"task": "content.sweep", "schedule": 60.0},
    "support-sla-breaches": {"task": "support.flag_sla_breaches", "schedule": 60.0},
    "support-sweep": {"task": "support.sweep", "schedule": 60.0},
    # Does nothing until SUPPORT_IMAP_HOST is set (this product's settings take the interval from
    # SUPPORT_IMAP_POLL_SECONDS).
    "support-poll-mailbox": {"task": "support.poll_mailbox", "schedule": 60.0},
    "support-retrain-intents": {"task": "support.retrain_intents", "schedule": 24 * 3600.0},
    "support-find-kb-gaps": {"task": "support.find_kb_gaps", "schedule": 24 * 3600.0},
    # Nightly at 03:30 UTC: a new recommender version from the stored events (activated if it passes the
    # sanity check and the shop setting allows; see docs/recommender.md).
    "recommender-train-nightly": {"task": "recommender.train", "schedule": crontab(minute=30, hour=3)},
    # Hourly: new reviews' sentiment, spike alerts per product, brand and category, emails (docs/monitoring.md).
    "insights-refresh": {"task": "insights.refresh", "schedule": crontab(minute=17)},
}

_QUEUES_ENV = "ECOMCMS_WORKER_QUEUES"
_DEFAULT_QUEUE_ENV = "ECOMCMS_WORKER_DEFAULT_QUEUE"


def configure(app) -> None:
    """Add ecomcms's routes and beat entries to ``app`` and connect the worker hooks; idempotent."""
    if app.configured:
        _merge(app)
    else:
        app.on_after_configure.connect(_merge_after_configure, sender=app, weak=False,
                                       dispatch_uid=f"ecomcms.celery_config.merge.{id(app)}")
    signals.celeryd_init.connect(_remember_queues, weak=False, dispatch_uid="ecomcms.celery_config.queues")
    signals.worker_process_init.connect(_start_worker_services, weak=False,
                                        dispatch_uid="ecomcms.celery_config.worker_services")
    signals.after_setup_logger.connect(_json_log_lines, weak=False, dispatch_uid="ecomcms.celery_config.json_logs")
    signals.after_setup_task_logger.connect(_json_log_lines, weak=False,
                                            dispatch_uid="ecomcms.celery_config.json_task_logs")


def _merge_after_configure(sender=None, **kwargs) -> None:
    _merge(sender)


def _merge(app) -> None:
    routes = app.conf.task_routes
    if not routes:
        app.conf.task_routes = dict(TASK_ROUTES)
    elif isinstance(routes, dict):
        app.conf.task_routes = {**TASK_ROUTES, **routes}
    else:  # a list of routers: the host's are asked first
        routes = list(routes)
        app.conf.task_routes = routes if TASK_ROUTES in routes else [*routes, TASK_ROUTES]
    app.conf.beat_schedule = {**BEAT_SCHEDULE, **(app.conf.beat_schedule or {})}


def _remember_queues(sender=None, instance=None, conf=None, options=None, **kwargs):
    """Tell the forked pool processes which queues they serve, so they preload the right model."""
    queues = (options or {}).get("queues") or conf.task_default_queue
    if isinstance(queues, (list, tuple)):
        queues = ",".join(queues)
    os.environ[_QUEUES_ENV] = queues
    os.environ[_DEFAULT_QUEUE_ENV] = conf.task_default_queue
    os.environ["ECOMCMS_WORKER_NAME"] = sender or ""


def _start_worker_services(**kwargs):
    """Load this process's models in the background and keep a heartbeat for /healthz.

    The load runs in a thread because Celery kills a pool process whose init takes
    more than a few seconds; a task that arrives meanwhile waits on the loader's lock.
    """
    from ecomcms.worker import start_worker_services

    default_queue = os.environ.get(_DEFAULT_QUEUE_ENV, "default")
    queues = [q for q in os.environ.get(_QUEUES_ENV, default_queue).split(",") if q]
    start_worker_services(name=os.environ.get("ECOMCMS_WORKER_NAME", ""), queues=queues, default_queue=default_queue)


def _json_log_lines(logger=None, **kwargs):
    """LOG_FORMAT=json: Celery's own handlers write JSON lines too (Celery replaces Django's on the root logger)."""
    from ecomcms.conf import conf

    if conf.LOG_FORMAT != "json" or logger is None:
        return
    from ecomcms.monitoring.logs import JsonFormatter

    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
