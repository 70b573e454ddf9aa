"""Health probes: liveness (/healthz/live) and readiness (/healthz/ready, also /healthz).

Liveness only says that this web process answers (200, touching nothing else): what a load
balancer needs, so a working web node stays in service while a worker restarts. Readiness asks
whether the database is up, the broker answers and the models are loaded in a live worker;
it answers 200 when every part is ready and 503 otherwise, always with JSON that says which
part is wrong and why. Which worker (host name and pid) reported a model is shown to staff
only. Neither probe ever loads a model.
"""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.db import connection
from django.db.utils import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ecomcms.conf import TEXT_BACKENDS, conf, text_backend_path
from ecomcms.inference import ModelUnavailable
from ecomcms.inference.sources import embedding_model_source, text_model_source


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"status": "ready", "engine": connection.vendor}
    except DatabaseError as exc:
        return {"status": "error", "error": str(exc).strip()}


def check_broker() -> dict:
    from celery import current_app as app  # this project's (ecomcms/celery.py) or a host project's

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            return {"status": "ready", "transport": conn.transport_cls}
    except Exception as exc:  # kombu surfaces socket, auth and transport errors with many types
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"}


def check_models(database_ok: bool) -> dict:
    from ecomcms.models import WorkerHeartbeat

    report: dict[str, dict] = {}
    resolvers = {
        "text": _text_source,
        "embeddings": lambda: embedding_model_source(conf.ECOMCMS_EMBEDDING_MODEL),
    }
    for kind, resolve in resolvers.items():
        try:
            report[kind] = {"status": "waiting", "model_id": resolve().model_id}
        except ModelUnavailable as exc:
            report[kind] = {"status": "error", "error": str(exc)}
    if not database_ok:
        for entry in report.values():
            entry.setdefault("error", "unknown: the database is down, so worker reports cannot be read")
            entry["status"] = "error"
        return report
    cutoff = timezone.now() - timedelta(seconds=conf.ECOMCMS_WORKER_HEARTBEAT_TIMEOUT)
    workers = list(WorkerHeartbeat.objects.filter(last_seen__gte=cutoff).order_by("-last_seen"))
    for kind, entry in report.items():
        if entry["status"] == "error":
            continue
        states = [(w, w.loaded.get(kind)) for w in workers if w.loaded.get(kind)]
        ready = [(w, s) for w, s in states if s.get("status") == "ready"]
        failed = [(w, s) for w, s in states if s.get("status") == "error"]
        if ready:
            worker, state = ready[0]
            entry.update(
                status="ready", worker=f"{worker.name} pid {worker.pid}", load_seconds=state.get("load_seconds")
            )
        elif failed:
            worker, state = failed[0]
            entry.update(status="error", worker=f"{worker.name} pid {worker.pid}", error=state.get("error"))
        elif not any(kind in _kinds(w.queues) for w in workers):
            entry["error"] = "no live worker serves this model's queue; start one (see README)"
        else:
            entry["error"] = "a worker is loading the model"
    return report


def _text_source():
    """The in-process model's files, or (ECOMCMS_TEXT_BACKEND=openai) the server a worker calls."""
    if text_backend_path(conf.ECOMCMS_TEXT_BACKEND) == TEXT_BACKENDS["openai"]:
        model = conf.ECOMCMS_OPENAI_MODEL or "the server's first model"
        return SimpleNamespace(model_id=f"{model} at {conf.ECOMCMS_OPENAI_BASE_URL}")
    return text_model_source(conf.ECOMCMS_TEXT_MODEL)


def _kinds(queues: list[str]) -> list[str]:
    from celery import current_app

    from ecomcms.worker import models_for_queues

    return models_for_queues(queues, current_app.conf.task_default_queue)


def _hide_workers(models: dict) -> None:
    """Worker node names carry host names and pids: internal topology an anonymous caller does not need."""
    for entry in models.values():
        entry.pop("worker", None)


@never_cache
@require_GET
def healthz_live(request):
    """Liveness: the web process answers. Checks nothing else, so it never fails because of a worker."""
    return JsonResponse({"status": "alive"})


@never_cache
@require_GET
def healthz(request):
    """Readiness: database, broker and a live worker with each model loaded."""
    database = check_database()
    broker = check_broker()
    models = check_models(database["status"] == "ready")
    if not (request.user.is_authenticated and request.user.is_staff):
        _hide_workers(models)
    parts = [database, broker, *models.values()]
    ok = all(part["status"] == "ready" for part in parts)
    body = {"status": "ready" if ok else "unavailable", "database": database, "broker": broker, "models": models}
    return JsonResponse(body, status=200 if ok else 503)
