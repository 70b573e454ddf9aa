"""Shared fixtures: fake model backends for fast unit tests, and a real Celery worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from ecomcms import inference

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: the catalogue's cached pages are filed under a generation that
    lives in the database, which starts again with each test, so an earlier test's page could match. The same
    for the stored answers' per-process memo (``ecomcms.api.cache``) and the recommender's per-process snapshot
    (``recommender.selectors.serving_snapshot``)."""
    from django.core.cache import cache

    from ecomcms.api import cache as api_cache
    from recommender import selectors

    cache.clear()
    api_cache.memo_forget()
    selectors.serving_forget()
    yield


@pytest.fixture
def fake_models(settings):
    """Swap in the deterministic fake backends; they prove the plumbing, never the model."""
    settings.ECOMCMS_TEXT_BACKEND = "ecomcms.inference.fake.FakeGenerator"
    settings.ECOMCMS_EMBEDDING_BACKEND = "ecomcms.inference.fake.FakeEmbedder"
    inference.reset()
    yield
    inference.reset()


def database_url(settings_dict: dict) -> str:
    """The URL of the database the tests are using (the test database, once it is set up)."""
    engine = settings_dict["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    if engine == "postgresql":
        user = settings_dict.get("USER") or "postgres"
        password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"
    raise RuntimeError(f"no worker support for the {engine} test database")


class WorkerProcess:
    """A real `celery worker` subprocess on the configured broker and the test database."""

    def __init__(self, queues: str, log_path: Path, extra_env: dict | None = None, name: str = "",
                 app: str = "ecomcms"):
        from django.db import connection

        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="tests.settings",
            DATABASE_URL=database_url(connection.settings_dict),
            ECOMCMS_DATA_DIR=str(settings.ECOMCMS_DATA_DIR),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra_env or {})
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", app, "worker", "-Q", queues, "--concurrency", "1",
             "--pool", "prefork", "-n", name or f"test-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
             "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_models(self, kinds: list[str], timeout: float = 180) -> None:
        from ecomcms.models import WorkerHeartbeat

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            beats = WorkerHeartbeat.objects.all()
            if any(all(b.loaded.get(k, {}).get("status") == "ready" for k in kinds) for b in beats):
                return
            time.sleep(0.5)
        raise TimeoutError(f"worker did not load {kinds} in {timeout} s:\n{self.log()[-4000:]}")

    def terminate(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


@pytest.fixture
def broker_down(monkeypatch):
    """Point the app at a port where no broker listens, as if the broker were down; restored afterwards."""
    from ecomcms.celery import app

    unreachable = "amqp://guest:guest@127.0.0.1:1//"
    original = app.conf.broker_url  # read before the variable changes: Celery prefers the variable

    def use(url):
        app.conf.broker_url = url
        app._pool = None  # drop pooled connections to the old broker
        app.amqp._producer_pool = None

    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    use(unreachable)
    yield lambda: (monkeypatch.setenv("CELERY_BROKER_URL", original), use(original))
    use(original)


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start real worker processes; they are stopped (and their queues purged) afterwards."""
    from ecomcms.celery import app

    app.control.purge()
    workers: list[WorkerProcess] = []

    def start(queues: str = "generation,default", app: str = "ecomcms", **extra_env) -> WorkerProcess:
        """``app``: the Celery app module (a test's own may wrap this product's to inject a fault)."""
        worker = WorkerProcess(queues, tmp_path / f"worker-{len(workers)}.log", extra_env,
                               name=f"test-{os.getpid()}-{len(workers)}@%h", app=app)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:  # all at once: each takes a few seconds to shut down
        worker.terminate()
    for worker in workers:
        worker.stop()
    app.control.purge()
