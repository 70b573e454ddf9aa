"""Issue 13, defect 6: rate limits hold across web processes when CACHE_URL names Redis.

Two real web processes (``manage.py runserver --noreload``, each its own Python process with
its own memory) share one Redis through ``CACHE_URL``; anonymous requests alternate between
them. With the anonymous limit at 10/min, exactly 10 are served and the rest are 429, not 20
(what two processes counting in their own memory allowed before). Skipped when Redis does not
answer on 127.0.0.1:6379 (CI starts it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS = ("127.0.0.1", 6379)
LIMIT = 10


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _start(port: int, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )


def _wait_until_serving(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the web process on {port} exited:\n{log.read_text()[-2000:]}")
        try:
            _status(f"http://127.0.0.1:{port}/api/v1/not-throttled")  # the JSON 404: no throttle, no database
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the web process on {port} did not answer:\n{log.read_text()[-2000:]}")


@pytest.mark.skipif(not _redis_answers(), reason="Redis does not answer on 127.0.0.1:6379 (CI starts it)")
def test_the_anonymous_limit_holds_across_two_web_processes(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="ecomcms.settings", DEBUG="true", ECOMCMS_DATA_DIR=str(tmp_path), ECOMCMS_CMS="off",
        CACHE_URL="redis://127.0.0.1:6379/13", CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        API_THROTTLE_ANON=f"{LIMIT}/min", PYTHONUNBUFFERED="1",
    )
    # The catalogue's cache reads its generation counter from the database before the throttled view
    # validates anything, so the two processes share a migrated SQLite file.
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True,
                   timeout=300)
    ports = [_free_port(), _free_port()]
    logs = [tmp_path / f"web-{port}.log" for port in ports]
    processes = [_start(port, env, log) for port, log in zip(ports, logs)]
    try:
        for port, process, log in zip(ports, processes, logs):
            _wait_until_serving(port, process, log)
        # page_size=0 is a 400 after the throttle has counted the request.
        statuses = [_status(f"http://127.0.0.1:{ports[n % 2]}/api/v1/products?page_size=0") for n in range(3 * LIMIT)]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    served = [status for status in statuses if status != 429]
    assert set(served) == {400}
    assert len(served) == LIMIT, statuses
    assert statuses[-LIMIT:] == [429] * LIMIT
