"""The host check: ecomcms's wheel installed into a shop's own django CMS site, migrated on PostgreSQL, serving.

    .venv/bin/python tests/hostproject/run_check.py        # or: make host-check (.ci/run runs it)

1. builds the wheel from the tracked files (``pip wheel --no-deps --no-build-isolation``, as a packager would);
2. creates a fresh virtualenv whose dependencies are the project's .venv (a .pth file adds its
   site-packages) and installs the wheel into it with ``pip install --no-deps``;
3. copies the host site (tests/hostproject: its own settings, URLs and Celery app) to a temporary folder
   outside the repository, so the repository's source folders are not on the path;
4. recreates the host's PostgreSQL database (``HOST_DATABASE_URL``, default
   postgres://postgres@127.0.0.1:5432/ecomcms_host; never the product's own ``ecomcms`` databases) and
   runs ``manage.py migrate`` and ``manage.py check`` there;
5. runs check_host.py in the host: CMS page with each plugin, the catalogue API, one job of drafts through
   a real worker of the host's Celery app with the fake generator (broker: ``CELERY_BROKER_URL`` when set,
   as in CI, else kombu's filesystem transport in the host's folder).

Exit status 0 when every step passed; the temporary folder is removed unless ``--keep`` is given.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
HOST = Path(__file__).resolve().parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/ecomcms_host"
PROTECTED = {"ecomcms", "test_ecomcms"}  # the product's own databases (make run, the CI's test suite)
started = time.monotonic()


def say(message: str) -> None:
    print(f"host check [{time.monotonic() - started:5.1f} s] {message}", flush=True)


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        sys.exit(f"host check: {' '.join(map(str, command))} failed ({done.returncode}):\n"
                 f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done


def build_wheel(work: Path) -> Path:
    """The wheel of the tracked (and new, unignored) files, built in a copy: setuptools writes into the tree."""
    source = work / "source"
    files = run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT).stdout.splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = work / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
         str(source)], env={**os.environ, "TMPDIR": str(work)})
    (wheel,) = dist.glob("ecomcms-*.whl")
    say(f"built {wheel.name}")
    return wheel


def make_virtualenv(work: Path, wheel: Path) -> Path:
    """A fresh virtualenv with the project's dependencies (its .venv, through a .pth file) and the wheel."""
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    purelib = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    dependencies = sysconfig.get_paths()["purelib"]  # this interpreter's: the project's .venv
    # "import" lines of a .pth file run at start-up: addsitedir also reads that folder's own .pth files.
    (purelib / "ecomcms_dependencies.pth").write_text(f"import site; site.addsitedir({dependencies!r})\n")
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)])
    say(f"installed the wheel with --no-deps into {venv}")
    return python


def recreate_database(url: str) -> None:
    parts = urlparse(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        return
    name = parts.path.lstrip("/")
    if name in PROTECTED:
        sys.exit(f"host check: refusing to use the database {name!r} (the product's own); set HOST_DATABASE_URL")
    server = urlunparse(parts._replace(path="/postgres"))
    run(["psql", server, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
    run(["psql", server, "-q", "-c", f'CREATE DATABASE "{name}"'])
    say(f"created the database {name} on {parts.hostname}:{parts.port or 5432}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (wheel, virtualenv, host)")
    options = parser.parse_args()

    database = os.environ.get("HOST_DATABASE_URL", DEFAULT_DATABASE)
    work = Path(tempfile.mkdtemp(prefix="ecomcms-host-check-"))
    try:
        wheel = build_wheel(work)
        python = make_virtualenv(work, wheel)
        host = work / "host"
        shutil.copytree(HOST, host, ignore=shutil.ignore_patterns("__pycache__", "var", "run_check.py"))
        recreate_database(database)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", str(work)),
            "LANG": os.environ.get("LANG", "C.UTF-8"), "TMPDIR": str(work),
            "DJANGO_SETTINGS_MODULE": "shop.settings", "DATABASE_URL": database, "HOST_VENV": str(work / "venv"),
            "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
        }
        if os.environ.get("CELERY_BROKER_URL"):
            env["CELERY_BROKER_URL"] = os.environ["CELERY_BROKER_URL"]
        run([str(python), "manage.py", "migrate", "--no-input", "-v0"], cwd=host, env=env)
        run([str(python), "manage.py", "check", "--fail-level", "WARNING"], cwd=host, env=env)
        say("the host migrated and passes manage.py check")
        checked = subprocess.run([str(python), "check_host.py"], cwd=host, env=env, text=True, check=False,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in checked.stdout.splitlines():
            print(f"    {line}" if not line.startswith("host check") else line, flush=True)
        if checked.returncode != 0:
            sys.exit(f"host check: FAILED (check_host.py exited {checked.returncode}); "
                     f"rerun with --keep to look at {work}")
        say("passed")
    finally:
        if options.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
