"""A wrong setting must stop the process at start-up with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start_django(**env_overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY"}}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", **env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DEBUG", "maybe", "DEBUG: expected true/false"),
        ("DATABASE_URL", "nosuchdb://x/y", "DATABASE_URL: cannot parse"),
        ("CELERY_BROKER_URL", "ftp://broker", "CELERY_BROKER_URL: unsupported scheme 'ftp'"),
        ("ECOMCMS_TORCH_THREADS", "-1", "ECOMCMS_TORCH_THREADS: must be at least 0"),
        ("ECOMCMS_GENERATION_BATCH_SIZE", "eight", "ECOMCMS_GENERATION_BATCH_SIZE: expected a whole number"),
        ("CELERY_TASK_TIME_LIMIT", "10", "CELERY_TASK_TIME_LIMIT: must be greater than CELERY_TASK_SOFT_TIME_LIMIT"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: expected one of"),
        ("CACHE_URL", "memcached://cache:11211", "CACHE_URL: unsupported scheme 'memcached'"),
    ],
)
def test_a_wrong_value_fails_at_start_naming_the_variable(variable, value, expected):
    result = start_django(**{variable: value})

    assert result.returncode != 0
    assert expected in result.stderr
    assert "started" not in result.stdout


def test_secret_key_is_required_when_debug_is_off():
    result = start_django(DEBUG="false", ALLOWED_HOSTS="shop.example")

    assert result.returncode != 0
    assert "SECRET_KEY: required when DEBUG is off" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789\n")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "shop.example",
            "SECRET_KEY_FILE": str(secret),
        },
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from-a-file-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"


def test_defaults_need_no_server():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL)"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
        | {"DJANGO_SETTINGS_MODULE": "tests.settings"},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://"]
