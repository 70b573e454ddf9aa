"""The `cms` extra is optional: declared once, installed by `make install`, and the core runs without it.

"Without it" is simulated in a fresh process by making ``cms`` unimportable (``sys.modules["cms"] = None``
is what Python does for a module it could not find), so the checks run whether or not the extra is installed.
"""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WITHOUT_CMS = "import sys; sys.modules['cms'] = None\nimport django; django.setup()\n"


def run(script: str, tmp_path, **env) -> subprocess.CompletedProcess:
    variables = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ECOMCMS_CMS"}}
    variables.update(DJANGO_SETTINGS_MODULE="tests.settings", ECOMCMS_DATA_DIR=str(tmp_path), **env)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=variables, capture_output=True, text=True,
                          timeout=180)


def test_the_extra_admits_exactly_the_pinned_requirements():
    from packaging.requirements import Requirement

    pinned = dict(line.split("#")[0].strip().split("==") for line in
                  (ROOT / "requirements-cms.txt").read_text().splitlines()
                  if line.strip() and not line.startswith("#"))
    extra = [Requirement(r) for r in
             tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["cms"]]

    assert sorted(r.name for r in extra) == sorted(pinned)
    assert pinned["django-cms"] == "5.1.3"
    assert all(r.specifier.contains(pinned[r.name]) for r in extra)


def test_make_install_installs_the_extra_so_ci_runs_the_cms_tests():
    makefile = (ROOT / "Makefile").read_text()
    stamp_rule = next(line for line in makefile.splitlines() if line.startswith("$(STAMP):"))

    assert "requirements-cms.txt" in stamp_rule
    assert "-r requirements-cms.txt" in makefile


def test_without_the_extra_the_core_starts_checks_clean_and_renders_the_template_tags(tmp_path):
    script = WITHOUT_CMS + (
        "from django.apps import apps\n"
        "from django.core.management import call_command\n"
        "from django.template import engines\n"
        "from django.urls import Resolver404, resolve\n"
        "assert not apps.is_installed('cms') and not apps.is_installed('cmsplugins')\n"
        "call_command('check', fail_level='WARNING')\n"
        "call_command('makemigrations', check=True, dry_run=True, verbosity=0)\n"
        "try:\n    resolve('/pages/shop/')\nexcept Resolver404:\n    print('no pages')\n"
        "template = engines['django'].from_string('{% load ecomcms %}{% similar_products None %}')\n"
        "print(repr(template.render({}).strip()))\n"
    )

    result = run(script, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["System", "check", "identified", "no", "issues", "(0", "silenced).", "no",
                                     "pages", "''"]


def test_ecomcms_cms_on_refuses_to_start_without_the_extra(tmp_path):
    result = run(WITHOUT_CMS + "print('started')", tmp_path, ECOMCMS_CMS="on")

    assert result.returncode != 0
    assert "ECOMCMS_CMS: on, but django-cms is not installed" in result.stderr
    assert "started" not in result.stdout


def test_a_wrong_ecomcms_cms_value_fails_at_start_naming_the_variable(tmp_path):
    result = run("import django; django.setup(); print('started')", tmp_path, ECOMCMS_CMS="maybe")

    assert result.returncode != 0
    assert "ECOMCMS_CMS: expected one of auto, on, off, got 'maybe'" in result.stderr
