"""Helpers shared by the apps' admin modules."""

from __future__ import annotations

from django.contrib import messages

MAX_FAILURES_SHOWN = 20


def report_outcome(modeladmin, request, done: int, failures: list[str], verb: str) -> None:
    """Tell the user how many objects an action handled and which ones failed, and why."""
    if done:
        modeladmin.message_user(request, f"{verb}: {done}.", messages.SUCCESS)
    for failure in failures[:MAX_FAILURES_SHOWN]:
        modeladmin.message_user(request, failure, messages.ERROR)
    if len(failures) > MAX_FAILURES_SHOWN:
        modeladmin.message_user(request, f"... and {len(failures) - MAX_FAILURES_SHOWN} more failures.", messages.ERROR)
