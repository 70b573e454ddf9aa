"""Who sees the monitoring: editors and writers (brands and categories), support agents (tickets).

Each of those groups may read the dashboard and the alerts and keep their own subscriptions;
nothing here shows a ticket's text (complaint phrases come from reviews only).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

GROUPS = ("Writers", "Editors", "Support agents")  # content.roles, support.roles
PERMISSIONS = ["view_monitoring", "view_alert", "view_subscription", "add_subscription", "change_subscription",
               "delete_subscription"]


def ensure_roles(**kwargs) -> None:
    """Give the monitoring permissions to the staff groups (run after every migrate)."""
    permissions = list(Permission.objects.filter(content_type__app_label="ecomcms_insights",
                                                 codename__in=PERMISSIONS))
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)
