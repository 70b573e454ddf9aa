"""Production settings pass Django's deployment checklist."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k7#v2!q9x@w4z&m1p8r5t0y3u6i2o9e4a7s1d8f5g2h6j3k0l9z4x7c1v8b5n2m6",
    "ALLOWED_HOSTS": "shop.example",
    "DJANGO_SETTINGS_MODULE": "ecomcms.settings",
}


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, **PRODUCTION, "ECOMCMS_DATA_DIR": str(tmp_path)},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_responses_carry_the_security_headers(tmp_path):
    script = (
        "import django; django.setup();"
        "from django.test import Client; from django.conf import settings;"
        "r = Client().get('/admin/login/', secure=True, HTTP_HOST='shop.example');"
        "print(r.status_code, r['Strict-Transport-Security'], r['X-Frame-Options'], r['X-Content-Type-Options'],"
        " settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE);"
        "r = Client().get('/admin/login/', HTTP_HOST='shop.example'); print(r.status_code, r['Location'])"
    )
    env = {**os.environ, **PRODUCTION, "ECOMCMS_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, timeout=300, env=env)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )

    assert result.returncode == 0, result.stderr
    secure, plain = result.stdout.strip().splitlines()
    assert secure == "200 max-age=31536000; includeSubDomains; preload DENY nosniff True True"
    assert plain == "301 https://shop.example/admin/login/"


def _production_settings(tmp_path, names: str, **env_overrides) -> str:
    script = f"import django; django.setup(); from django.conf import settings; print({names})"
    env = {**os.environ, **PRODUCTION, "ECOMCMS_DATA_DIR": str(tmp_path), **env_overrides}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_cookie_secure_off_turns_off_secure_session_and_csrf_cookies(tmp_path):
    names = "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE"

    assert _production_settings(tmp_path, names) == "True True"
    assert _production_settings(tmp_path, names, COOKIE_SECURE="false") == "False False"


def test_health_probes_are_exempt_from_the_https_redirect(tmp_path):
    paths = ("healthz", "healthz/live", "healthz/ready", "admin/", "healthzx")
    names = f"[any(__import__('re').search(p, path) for p in settings.SECURE_REDIRECT_EXEMPT) for path in {paths!r}]"

    assert _production_settings(tmp_path, names) == "[True, True, True, False, False]"
