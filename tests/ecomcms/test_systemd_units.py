"""deploy/systemd: a unit for every process, each starting a real entry point on a queue that exists."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
APP_DIR, VENV_BIN = "/srv/ecomcms", "/srv/ecomcms/.venv/bin/"


def parse(path: Path) -> dict[str, list[tuple[str, str]]]:
    """systemd's format: [Section], Key=Value lines (a key may repeat), # and ; comments."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, equals, value = line.partition("=")
        assert current is not None and equals and key.strip(), f"{path.name}:{number}: not Key=Value: {raw!r}"
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict, section: str, key: str) -> list[str]:
    return [value for name, value in unit.get(section, []) if name == key]


def command(line: str) -> list[str]:
    """An ExecStart= line as the process sees it: systemd's %% is a literal %."""
    return shlex.split(line.replace("%%", "%"))


def units() -> dict[str, dict]:
    return {path.name: parse(path) for path in sorted(UNITS.glob("*.service"))}


def celery_queues() -> set[str]:
    from ecomcms.monitoring.collectors import queue_names

    return set(queue_names())


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_every_process_has_a_unit():
    found = set(units())
    assert {"ecomcms-web.service", "ecomcms-beat.service", "ecomcms-migrate.service",
            "ecomcms-flower.service"} <= found
    assert {f"ecomcms-worker-{queue}.service" for queue in celery_queues()} <= found


def test_every_unit_runs_as_the_service_user_with_the_environment_file():
    for name, unit in units().items():
        assert values(unit, "Unit", "Description"), name
        service = dict(unit["Service"])
        assert service["User"] == "ecomcms" and service["WorkingDirectory"] == APP_DIR, name
        assert service["EnvironmentFile"] == "/etc/ecomcms/ecomcms.env", name
        assert values(unit, "Service", "ExecStart"), name
        if service.get("Type") != "oneshot":
            assert values(unit, "Install", "WantedBy"), name
            assert service.get("Restart") in {"always", "on-failure"}, name


def test_exec_start_lines_name_real_entry_points():
    from django.core.management import get_commands

    for name, unit in units().items():
        for line in values(unit, "Service", "ExecStart"):
            argv = command(line)
            assert argv[0].startswith(VENV_BIN), f"{name}: {argv[0]} is not the virtualenv's"
            program = argv[0].removeprefix(VENV_BIN)
            if program == "gunicorn":
                module, _, attribute = argv[1].partition(":")
                assert (module, attribute) == ("ecomcms.wsgi", "application"), name
                assert (ROOT / "ecomcms" / "wsgi.py").exists()
                config = option(argv, "-c")
                assert (ROOT / config.removeprefix(APP_DIR + "/")).exists(), f"{name}: {config}"
            elif program == "celery":
                assert option(argv, "-A") == "ecomcms", name
                assert argv[3] in {"worker", "beat", "flower"}, name
            elif program == "python":
                assert argv[1] == "manage.py" and argv[2] in get_commands(), f"{name}: {argv}"
            else:
                pytest.fail(f"{name}: unexpected program {program}")


def test_each_queue_has_its_own_worker_and_no_worker_serves_an_unknown_queue():
    served = {}
    for name, unit in units().items():
        for line in values(unit, "Service", "ExecStart"):
            argv = command(line)
            if argv[3:4] == ["worker"]:
                queues = option(argv, "-Q").split(",")
                assert set(queues) <= celery_queues(), f"{name}: {queues}"
                assert name == f"ecomcms-worker-{queues[0]}.service" and len(queues) == 1, name
                assert option(argv, "-n") == f"{queues[0]}@%h", name  # Celery's %h: the host name
                served[queues[0]] = name
    assert set(served) == celery_queues()


def test_there_is_one_beat_and_the_target_starts_the_web_workers_and_beat():
    beats = [name for name, unit in units().items()
             if any(command(line)[3:4] == ["beat"] for line in values(unit, "Service", "ExecStart"))]
    assert beats == ["ecomcms-beat.service"]
    wanted = {name for line in values(parse(UNITS / "ecomcms.target"), "Unit", "Wants") for name in line.split()}
    assert wanted == {"ecomcms-web.service", "ecomcms-beat.service",
                      *(f"ecomcms-worker-{queue}.service" for queue in celery_queues())}
    for name in wanted:
        assert (UNITS / name).exists()


def test_the_web_unit_gives_gunicorn_an_empty_multiprocess_folder_for_metrics():
    web = parse(UNITS / "ecomcms-web.service")
    environment = " ".join(values(web, "Service", "Environment"))
    runtime = values(web, "Service", "RuntimeDirectory")
    assert runtime == ["ecomcms-web"] and "PROMETHEUS_MULTIPROC_DIR=/run/ecomcms-web/" in environment
    namespace: dict = {}
    exec(compile((ROOT / "deploy" / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    assert callable(namespace["child_exit"]) and callable(namespace["on_starting"])
    assert namespace["timeout"] >= 30 and namespace["workers"] >= 1


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_itself_accepts_the_units(tmp_path):
    """systemd-analyze verify, with the paths pointed at this checkout and this interpreter's bin folder."""
    for path in [*UNITS.glob("*.service"), UNITS / "ecomcms.target"]:
        text = path.read_text().replace(VENV_BIN, str(Path(sys.executable).parent) + "/").replace(APP_DIR, str(ROOT))
        (tmp_path / path.name).write_text(text)
    if not (Path(sys.executable).parent / "gunicorn").exists():
        pytest.skip("gunicorn is not installed beside this interpreter")
    run = subprocess.run(["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
                         capture_output=True, text=True, timeout=120, check=False)
    output = run.stdout + run.stderr
    assert run.returncode == 0 and "Unknown" not in output, output
