"""The refusals every app's services raise, and the one permission check they share.

A service refuses a request by raising a ``ServiceError``; the message is for the person who
made it (an editor in the admin, a client of the API, an operator at the command line). Each
app names its own errors (``content.services.ContentError``, ``DraftStateError``,
``NotAllowed`` ...) and derives them from these bases, so its doors can catch "anything the
content workflow refused" while the API kit (``ecomcms.api.errors``) maps any of them to an
HTTP status and a stable JSON ``code`` in one place:

===================  ======  ====================
base                 status  code
===================  ======  ====================
``ServiceError``     400     ``invalid_request``
``ValidationFailed`` 400     ``invalid_request``
``NotAllowed``       403     ``permission_denied``
``NotFound``         404     ``not_found``
``StateError``       409     ``invalid_state``
===================  ======  ====================

A subclass may set its own ``code`` (and ``status``) where clients need to tell it apart
(``support``'s ``reply_not_sendable``). This module imports no app and nothing of the web
stack, so services, tasks and commands may raise these without importing Django REST framework.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request a service refuses; the message says why, for the person who made it."""

    status = 400
    code = "invalid_request"


class ValidationFailed(ServiceError):
    """The input is not something the service can act on (an unknown template version, too few labels ...)."""


class NotAllowed(ServiceError):
    """The actor lacks the permission this action needs."""

    status = 403
    code = "permission_denied"


class NotFound(ServiceError):
    """What the request names does not exist (or is not visible to the actor)."""

    status = 404
    code = "not_found"


class StateError(ServiceError):
    """The object is not in a state that allows this transition (approving a draft twice ...)."""

    status = 409
    code = "invalid_state"


Conflict = StateError


def require_permission(actor, permission: str, *, error: type[NotAllowed] = NotAllowed,
                       message: str | None = None) -> None:
    """Refuse ``actor`` without ``permission`` (``"app_label.codename"``) by raising ``error``.

    ``actor=None`` is the system itself (a task, a command run by an operator, the sweeper) and may
    do anything: services take ``actor=None`` for work no person asked for. ``error`` is the app's
    own ``NotAllowed`` so its doors can catch it by the app's name; ``message`` defaults to
    "<actor> may not <codename in words>".
    """
    if actor is None or actor.has_perm(permission):
        return
    codename = permission.split(".", 1)[-1]
    raise error(message or f"{actor} may not {codename.replace('_', ' ')}")
