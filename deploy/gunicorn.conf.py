"""gunicorn settings for the web process (deploy/systemd/ecomcms-web.service; docs/deployment.md).

    gunicorn ecomcms.wsgi:application -c deploy/gunicorn.conf.py

Environment: GUNICORN_BIND (127.0.0.1:8000), GUNICORN_WORKERS (2 x cores + 1), GUNICORN_TIMEOUT (60 s),
GUNICORN_MAX_REQUESTS (50,000 requests a worker before it is recycled; 0: never).
With several worker processes, PROMETHEUS_MULTIPROC_DIR (an empty folder per start; the unit's
RuntimeDirectory) lets any of them answer /metrics with all processes' request counts.
"""

import multiprocessing
import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # no request runs a model: a minute is generous
graceful_timeout = 30
# Recycle workers now and then (memory); the jitter keeps them from restarting together. A recycled
# worker boots again and starts with an empty in-memory cache: at 2,000 requests, every worker of the
# API bench restarted within 16 s during one measured endpoint (docs/performance.md).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max(1, max_requests // 10)
accesslog = "-"  # to the journal
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Numbers of a previous run must not be summed with this one's: start the multiprocess folder empty."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    """A gunicorn worker that exits leaves its files; prometheus_client merges them and drops its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
