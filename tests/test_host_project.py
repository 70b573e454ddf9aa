"""ecomcms in someone else's project: the host project's settings stand alone, and the core needs neither
django CMS nor django-axes. The full check (wheel, PostgreSQL, worker) is tests/hostproject/run_check.py,
which .ci/run runs; these are its fast parts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOST = ROOT / "tests" / "hostproject"
CORE = ["ecomcms", "content", "recommender", "support", "storefront", "privacy"]


def _python(script: str, *, cwd: Path, tmp_path: Path, **env) -> dict:
    environment = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)),
                   "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **env}
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=environment, capture_output=True, text=True,
                          check=False, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_host_project_runs_on_its_own_settings_with_the_apps_defaults(tmp_path):
    script = """
import json, sys, django
django.setup()
from celery import current_app
from django.urls import resolve
from ecomcms.conf import conf
from support.conf import conf as support_conf
print(json.dumps({
    "project_settings_imported": "ecomcms.settings" in sys.modules,
    "celery_app": current_app.main,
    "generation_route": current_app.amqp.router.route({}, "content.generate_drafts")["queue"].name,
    "beat": sorted(current_app.conf.beat_schedule),
    "batch_size": conf.ECOMCMS_GENERATION_BATCH_SIZE,
    "text_backend": conf.ECOMCMS_TEXT_BACKEND,
    "shop_name": support_conf.SUPPORT_SHOP_NAME,
    "catalogue": resolve("/api/v1/products").url_name,
    "health": resolve("/healthz/live").url_name,
    "cms_page": resolve("/some/page/").url_name,
    "project_settings_imported_after": "ecomcms.settings" in sys.modules,
}))
"""
    result = _python(script, cwd=HOST, tmp_path=tmp_path, DJANGO_SETTINGS_MODULE="shop.settings",
                     DATABASE_URL=f"sqlite:///{tmp_path / 'host.sqlite3'}")

    assert result == {
        "project_settings_imported": False,
        "celery_app": "shop",
        "generation_route": "generation",
        "beat": ["insights-refresh", "publish-due-drafts", "recommender-train-nightly", "support-find-kb-gaps",
                     "support-poll-mailbox",
                 "support-retrain-intents", "support-sla-breaches", "support-sweep", "sweep-generation"],
        "batch_size": 8,  # the default: the host does not set it
        "text_backend": "ecomcms.inference.fake.FakeGenerator",  # the host's choice
        "shop_name": "The Host Shop",
        "catalogue": "api-products",
        "health": "healthz-live",
        "cms_page": "pages-details-by-slug",
        "project_settings_imported_after": False,
    }


def test_the_core_apps_import_neither_django_cms_nor_axes(tmp_path):
    """Every module of the core apps imports, and the project checks clean, where cms and axes cannot be imported."""
    script = f"""
import importlib, json, pkgutil, sys

BLOCKED = ("cms", "menus", "sekizai", "treebeard", "classytags", "djangocms_admin_style", "axes", "cmsplugins")

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"{{name}} is blocked: the core must not import it", name=name)
        return None

sys.meta_path.insert(0, Block())

from django.conf import settings
settings.configure(
    DEBUG=False, SECRET_KEY="core-only", ALLOWED_HOSTS=["testserver"], ROOT_URLCONF="ecomcms.host_urls",
    INSTALLED_APPS=["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
                    "rest_framework", "drf_spectacular", *{CORE!r}],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
                "django.contrib.messages.middleware.MessageMiddleware"],
    TEMPLATES=[{{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                "OPTIONS": {{"context_processors": ["django.template.context_processors.request",
                                                   "django.contrib.auth.context_processors.auth",
                                                   "django.contrib.messages.context_processors.messages"]}}}}],
    DATABASES={{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}},
    STATIC_URL="static/", USE_TZ=True,
)
import django
django.setup()

# This product's own settings module names axes and the CMS (strings, and a find_spec probe): not the core's code.
SKIP = {{"ecomcms.settings"}}
imported, failed = [], {{}}
for package in {CORE!r}:
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, prefix=package + "."):
        if info.name in SKIP:
            continue
        try:
            importlib.import_module(info.name)
            imported.append(info.name)
        except Exception as exc:
            failed[info.name] = f"{{type(exc).__name__}}: {{exc}}"
from django.core.management import call_command
call_command("check")
print(json.dumps({{"imported": len(imported), "failed": failed,
                  "loaded": sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)}}))
"""
    result = _python(script, cwd=tmp_path, tmp_path=tmp_path)

    assert result["failed"] == {}
    assert result["loaded"] == []
    assert result["imported"] > 100  # every module of the six apps, not an empty walk
