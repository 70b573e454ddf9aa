"""Roles as groups: support agents handle tickets; support leads also shape triage (intents, queues, rules).

New versions of the intent classifier are an operator's (``ecomcms.change_adapter``, docs/finetuning.md).

The services check ``support.handle_ticket`` themselves, so the roles hold
whatever door (admin, API, command) is used.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

AGENTS = "Support agents"
LEADS = "Support leads"

_AGENT_PERMISSIONS = [
    "handle_ticket", "view_ticket", "change_ticket", "view_triagequeue", "change_triagequeue", "view_message",
    "view_replysuggestion", "view_suggestionrates", "view_knowledgearticle", "add_knowledgearticle",
    "change_knowledgearticle", "view_cannedresponse", "add_cannedresponse", "change_cannedresponse", "view_intent",
    "view_queue", "view_priorityrule", "view_intentlabel", "view_ticketevent",
    "view_ticketcopyrevision", "view_inboundemail", "view_articlesuggestion",
]
_LEAD_PERMISSIONS = _AGENT_PERMISSIONS + [
    "add_intent", "change_intent", "add_queue", "change_queue", "add_priorityrule", "change_priorityrule",
    "delete_priorityrule", "delete_knowledgearticle",
    "delete_cannedresponse", "review_article_suggestion",
]


def ensure_roles(**kwargs) -> None:
    """Create or refresh the two groups (run after every migrate)."""
    for name, codenames in ((AGENTS, _AGENT_PERMISSIONS), (LEADS, _LEAD_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="ecomcms_support", codename__in=codenames)
        )
