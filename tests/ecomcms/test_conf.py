"""The apps' settings have defaults of their own (ecomcms.conf, support.conf, cmsplugins.conf).

A host project sets none of them; this product's settings set them all from the environment, with
the same values the defaults give when no variable is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cmsplugins.conf import conf as cmsplugins_conf
from ecomcms.conf import conf
from support.conf import conf as support_conf

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "settings.md").read_text()
# Set on purpose by this product only: a host's Site row is its own.
PROJECT_ONLY = {"SITE_DOMAIN", "SITE_NAME"}


def test_a_setting_the_project_sets_wins_over_the_default(settings):
    settings.ECOMCMS_GENERATION_BATCH_SIZE = 3
    settings.SUPPORT_SHOP_NAME = "Acme"

    assert conf.ECOMCMS_GENERATION_BATCH_SIZE == 3
    assert support_conf.SUPPORT_SHOP_NAME == "Acme"
    assert support_conf.ECOMCMS_GENERATION_BATCH_SIZE == 3  # an app's conf also has the runtime's


def test_a_setting_the_project_does_not_set_has_its_default(settings):
    del settings.ECOMCMS_GENERATION_BATCH_SIZE
    del settings.SUPPORT_REDACTION_KEEP
    del settings.ECOMCMS_GENERATION_LEASE_SECONDS
    settings.CELERY_TASK_TIME_LIMIT = 100
    settings.DEFAULT_FROM_EMAIL = "help@shop.example"

    assert conf.ECOMCMS_GENERATION_BATCH_SIZE == 8
    assert conf.ECOMCMS_GENERATION_LEASE_SECONDS == 160  # derived from the hard time limit, when read
    assert support_conf.SUPPORT_REDACTION_KEEP == ["help@shop.example"]


def test_an_unknown_name_is_an_attribute_error_naming_the_docs():
    with pytest.raises(AttributeError, match="docs/settings.md"):
        conf.ECOMCMS_NO_SUCH_SETTING  # noqa: B018


@pytest.mark.parametrize("app_conf", [conf, support_conf, cmsplugins_conf], ids=["ecomcms", "support", "cmsplugins"])
def test_every_setting_is_documented(app_conf):
    assert [name for name in app_conf.names if f"`{name}`" not in DOCS] == []


def test_the_products_settings_without_environment_equal_the_defaults(tmp_path):
    """ecomcms/settings.py sets every setting the apps read, to the apps' own default when no variable is set."""
    script = """
import json
from django.conf import settings
from cmsplugins.conf import conf as cms
from support.conf import conf as support
names = sorted(set(cms.names) | set(support.names))
default = {n: support.default(n) if n in support.names else cms.default(n) for n in names}
missing = [n for n in names if not hasattr(settings, n)]
differ = {n: [repr(getattr(settings, n)), repr(default[n])] for n in names
          if n not in missing and getattr(settings, n) != default[n]}
print(json.dumps({"missing": missing, "differ": differ}))
"""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)),
           "DJANGO_SETTINGS_MODULE": "ecomcms.settings", "ECOMCMS_CMS": "on", "ECOMCMS_DATA_DIR": str(tmp_path)}
    if "XDG_CACHE_HOME" in os.environ:
        env["XDG_CACHE_HOME"] = os.environ["XDG_CACHE_HOME"]
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["missing"] == []
    assert result["differ"].pop("ECOMCMS_DATA_DIR")[0] == repr(tmp_path)  # the one variable set here
    assert {name: values for name, values in result["differ"].items() if name not in PROJECT_ONLY} == {}
    assert set(result["differ"]) == PROJECT_ONLY  # the project names its site; a host's is left alone
