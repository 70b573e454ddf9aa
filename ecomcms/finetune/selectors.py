"""Reads: which adapter a purpose generates with."""

from __future__ import annotations

from ecomcms.models import Adapter


def adapter_active(purpose: str) -> Adapter | None:
    return Adapter.objects.filter(purpose=purpose, is_active=True).first()


def adapter_active_path(purpose: str) -> str:
    """The active adapter's folder, or "" for the base model."""
    adapter = adapter_active(purpose)
    return adapter.path if adapter else ""


def adapter_latest(purpose: str) -> Adapter | None:
    """The newest version of a purpose, whatever its status."""
    return Adapter.objects.filter(purpose=purpose).order_by("-version").first()
