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


class ReadOnlyAdminMixin:
    """A record the services write (events, runs, activations, reports): shown in the admin, never added or edited.

    Put it before ``admin.ModelAdmin`` (or an inline) in the bases. ``allow_delete = True`` lets those with the
    model's delete permission remove rows (old previews, events); by default nothing is deleted either.
    """

    allow_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and super().has_delete_permission(request, obj)


def report_queued(modeladmin, request, dispatch, *, what: str, queued: str) -> None:
    """Say whether the task a service queued went out (``ecomcms.queueing.Dispatch``).

    Only for work nothing is stored for (a training run): with the broker down it is not queued,
    nothing changed, and the person is told to try again rather than left waiting for it.
    """
    if dispatch.sent is False:
        modeladmin.message_user(request, f"{what} was not queued: the task queue (broker) did not answer. Nothing "
                                         f"changed; try again when it is back.", messages.ERROR)
    else:
        modeladmin.message_user(request, queued, messages.SUCCESS)
