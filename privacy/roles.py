"""The role that answers customer data requests: a group with the two dedicated permissions.

Nobody gets them through the support roles: exporting or erasing a customer is a
privacy officer's decision, not a support agent's. Superusers have them anyway.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

PRIVACY_OFFICERS = "Privacy officers"

_PERMISSIONS = Q(content_type__app_label="ecomcms_privacy", codename__in=[
    "export_customer_data", "erase_customer_data", "view_customerdatarequest",
]) | Q(content_type__app_label="ecomcms_support", codename__in=["view_ticket"])  # the actions live on the ticket list


def ensure_roles(**kwargs) -> None:
    """Create or refresh the group (run after every migrate)."""
    group, _ = Group.objects.get_or_create(name=PRIVACY_OFFICERS)
    group.permissions.add(*Permission.objects.filter(_PERMISSIONS))
