"""Roles as groups: writers request and edit drafts; editors also approve, reject and publish.

The services check these permissions themselves, so the roles hold whatever door
(admin, API, command) is used.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

WRITERS = "Writers"
EDITORS = "Editors"

_WRITER_PERMISSIONS = [
    "view_product", "view_review", "view_prompttemplate", "view_templatepreview", "view_generationjob",
    "view_draft", "view_draftevent", "view_publishedcopy", "view_bannedphrase",
    "view_attributeterm", "request_generation", "change_draft", "view_copyrevision",
]
_EDITOR_PERMISSIONS = _WRITER_PERMISSIONS + [
    "review_draft", "publish_draft", "add_prompttemplate", "change_prompttemplate",
    "add_bannedphrase", "change_bannedphrase", "delete_bannedphrase", "change_product", "add_product",
    "add_attributeterm", "change_attributeterm", "delete_attributeterm",
]


def ensure_roles(**kwargs) -> None:
    """Create or refresh the two groups (run after every migrate)."""
    for name, codenames in ((WRITERS, _WRITER_PERMISSIONS), (EDITORS, _EDITOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(content_type__app_label="ecomcms_content", codename__in=codenames)
        group.permissions.add(*permissions)
