"""Read settings from environment variables, failing loudly on a bad value.

Every helper raises ``ImproperlyConfigured`` with the variable's name in the
message, so a typo in a deployment fails at start-up instead of at 3 a.m.
A ``NAME_FILE`` variable, when set, is read instead of ``NAME`` (for secrets
mounted as files).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_path!r}: {exc}") from exc
    return os.environ.get(name)


def string(name: str, default: str | None = None) -> str | None:
    value = raw(name)
    return default if value is None else value


def boolean(name: str, default: bool) -> bool:
    value = raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected true/false (1/0, yes/no, on/off), got {value!r}")


def integer(name: str, default: int, *, minimum: int | None = None) -> int:
    value = raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}: must be at least {minimum}, got {number}")
    return number


def items(name: str, default: list[str]) -> list[str]:
    value = raw(name)
    if value is None:
        return list(default)
    return [part.strip() for part in value.split(",") if part.strip()]


def choice(name: str, default: str, choices: list[str]) -> str:
    value = string(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def number(name: str, default: float, *, minimum: float | None = None) -> float:
    value = raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        result = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a number, got {value!r}") from None
    if result != result or minimum is not None and result < minimum:  # NaN, or too small
        raise ImproperlyConfigured(f"{name}: must be a number of at least {minimum}, got {value!r}")
    return result


def json_object(name: str, default: dict | None = None) -> dict:
    value = raw(name)
    if value is None or value.strip() == "":
        return dict(default or {})
    try:
        data = json.loads(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: expected a JSON object, got {value!r}: {exc}") from None
    if not isinstance(data, dict):
        raise ImproperlyConfigured(f"{name}: expected a JSON object such as {{\"key\": 1}}, got {value!r}")
    return data
