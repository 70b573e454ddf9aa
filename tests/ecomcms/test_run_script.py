"""scripts/run.sh (`make run`) stops every process it started, on Ctrl-C and on `make stop`, and exits 0.

The script runs in a copy of the project holding only it, the Makefile and a stand-in for
`.venv/bin/python`: manage.py commands succeed at once, Celery and runserver run until stopped, and
a Celery worker has a child process (like its pool) that must stop with it.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

FAKE_PYTHON = """#!/usr/bin/env bash
case "$*" in
  *"manage.py migrate"*|*"manage.py collectstatic"*|*"manage.py load_demo"*) echo "fake: $*"; exit 0 ;;
  *"runserver"*) if [[ -n "${FAKE_RUNSERVER_EXIT:-}" ]]; then sleep 1; exit "$FAKE_RUNSERVER_EXIT"; fi ;;&
  *"celery"*"worker"*) echo $$ >>var/fake-started; sleep 1000 & exec sleep 1001 ;;
  *) echo $$ >>var/fake-started; exec sleep 1002 ;;
esac
"""

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run.sh", tmp_path / "scripts" / "run.sh")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-models.txt", "requirements-cms.txt"):
        (tmp_path / name).touch()
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    time.sleep(0.01)
    (tmp_path / ".venv" / ".installed").touch()  # newer than the requirements: make installs nothing
    yield tmp_path
    for name in ("run.pids", "fake-started"):  # a failed test leaves nothing running
        path = tmp_path / "var" / name
        for pid in path.read_text().split() if path.exists() else []:
            try:
                os.killpg(int(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def started(project: Path, timeout: float = 30) -> list[int]:
    """The process groups the script started, once all five (2 workers, beat, web server + the script) are up."""
    pids = project / "var" / "run.pids"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pids.exists() and len(pids.read_text().split()) == 5:
            return [int(pid) for pid in pids.read_text().split()[1:]]
        time.sleep(0.1)
    raise AssertionError(
        f"the script did not start its processes: {pids.read_text() if pids.exists() else 'no pid file'}"
    )


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def wait_gone(groups: list[int], timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(group_alive(g) for g in groups):
        time.sleep(0.1)
    return [g for g in groups if group_alive(g)]


def test_make_stop_stops_every_process_and_make_run_exits_0(project):
    run = subprocess.Popen(["make", "run"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        groups = started(project)
        assert all(group_alive(g) for g in groups)

        stop = subprocess.run(["make", "stop"], cwd=project, capture_output=True, text=True, timeout=60)
        output = run.communicate(timeout=60)[0].decode()
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)

    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert "stopped" in stop.stdout
    assert run.returncode == 0, output
    assert "Error" not in output
    assert wait_gone(groups) == []
    assert not (project / "var" / "run.pids").exists()
    again = subprocess.run(["make", "stop"], cwd=project, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "not running" in again.stdout


def _exit_status(pid: int, timeout: float) -> int:
    """The child's wait status; a child still running after ``timeout`` is killed and the test fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"`make run` did not exit within {timeout} s of Ctrl-C")


def test_ctrl_c_on_a_terminal_stops_every_process_and_make_exits_0(project):
    pid, terminal = pty.fork()
    if pid == 0:  # the child: `make run` in the foreground of a new terminal
        # A runner may start the tests with SIGINT ignored (a background job of a non-interactive shell),
        # and an ignored signal stays ignored across exec: give `make run` a terminal's defaults.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)
        os.chdir(project)
        os.execvp("make", ["make", "run"])
    output = b""
    try:
        groups = started(project)
        os.write(terminal, b"\x03")  # Ctrl-C: the terminal signals its foreground process group
        deadline = time.monotonic() + 30
        again = time.monotonic() + 5
        while time.monotonic() < deadline:
            if time.monotonic() > again and b"stopping" not in output:
                # A person presses Ctrl-C again when nothing happens (a keypress that came while the
                # script was still handing the terminal to its job); a second one is ignored mid-shutdown.
                os.write(terminal, b"\x03")
                again = time.monotonic() + 5
            if select.select([terminal], [], [], 0.1)[0]:
                try:
                    chunk = os.read(terminal, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
        status = _exit_status(pid, timeout=30)
    finally:
        os.close(terminal)

    assert os.waitstatus_to_exitcode(status) == 0, output.decode(errors="replace")
    assert b"stopping the web server" in output
    assert wait_gone(groups) == []


def test_a_process_that_dies_stops_the_others_and_the_script_fails(project):
    run = subprocess.run(["bash", "scripts/run.sh"], cwd=project, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "FAKE_RUNSERVER_EXIT": "3"})
    others = [int(pid) for pid in (project / "var" / "fake-started").read_text().split()]

    assert run.returncode == 3, run.stdout + run.stderr
    assert "exited by itself (status 3)" in run.stderr
    assert len(others) == 3  # two workers and beat
    assert wait_gone(others) == []
    assert not (project / "var" / "run.pids").exists()


def test_make_stop_after_the_script_was_killed_stops_what_it_had_started(project):
    run = subprocess.Popen(["bash", "scripts/run.sh"], cwd=project, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    groups = started(project)
    run.kill()  # SIGKILL: no trap runs, the workers stay
    run.wait(timeout=10)
    assert all(group_alive(g) for g in groups)

    stop = subprocess.run(["make", "stop"], cwd=project, capture_output=True, text=True, timeout=60)

    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert "the run script is gone" in stop.stdout
    assert wait_gone(groups) == []
