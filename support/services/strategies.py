"""Which reply strategy a ticket gets, and the templates the non-model strategies start from.

``SUPPORT_REPLY_STRATEGY`` is the default (what measured best on the held-out Bitext split,
docs/support.md); an intent may have its own (``Intent.reply_strategy``), set from the measured
table by ``evaluate_replies --apply`` (``reply_strategies_apply``) or by hand in the admin. A
template strategy that finds nothing to start from falls back: ``nearest`` to ``canned`` to
``model``; ``combined`` without a resolved ticket is ``model``. Staff accept, edit or reject
every suggestion whichever strategy wrote it.
"""

from __future__ import annotations

import numpy as np
from django.conf import settings
from django.db import transaction

from support import replies
from support.conf import conf
from support.models import CannedResponse, Intent, KnowledgeArticle, Message, ReplyStrategy, Ticket, TicketStatus
from support.services._base import _vector

#: Resolved tickets searched for the nearest one (the most recent of the intent).
NEAREST_POOL = 500
RESOLVED = (TicketStatus.SOLVED, TicketStatus.CLOSED)


def shop_details(*, customer: str = "", order: str = "") -> replies.Details:
    """What a template reply may be filled with: the shop's name and address, this ticket's placeholders."""
    return replies.Details(shop_name=conf.SUPPORT_SHOP_NAME, email=settings.DEFAULT_FROM_EMAIL,
                           customer=customer, order=order)


def strategy_for_intent(intent: str) -> str:
    """The strategy that writes this intent's suggestions: the intent's own, else the setting."""
    own = Intent.objects.filter(name=intent).values_list("reply_strategy", flat=True).first() if intent else ""
    return own or conf.SUPPORT_REPLY_STRATEGY


def intent_articles(intent: str) -> list[KnowledgeArticle]:
    """Published articles whose tags name the intent: the intent -> article mapping (the right article)."""
    if not intent:
        return []
    return [a for a in KnowledgeArticle.objects.filter(is_published=True) if intent in (a.tags or [])]


def nearest_resolved_reply(ticket: Ticket, query: np.ndarray) -> tuple[Ticket, str] | None:
    """The staff reply (redacted) to the solved or closed ticket of the same intent most similar to ``query``."""
    if not ticket.intent:
        return None
    candidates = list(
        Ticket.objects.filter(intent=ticket.intent, status__in=RESOLVED, embedding__isnull=False)
        .exclude(pk=ticket.pk).order_by("-updated_at").only("pk", "embedding", "embedding_model")[:NEAREST_POOL]
    )
    usable = [t for t in candidates if len(bytes(t.embedding)) == 4 * query.shape[0]]
    while usable:
        matrix = np.stack([_vector(t.embedding) for t in usable])
        index = int(np.argmax(matrix @ query))
        reply = (Message.objects.filter(ticket_id=usable[index].pk, author_kind=Message.Author.STAFF)
                 .exclude(redacted_body="").order_by("created_at", "pk").values_list("redacted_body", flat=True)
                 .first())
        if reply:
            return usable[index], reply
        usable.pop(index)
    return None


def intent_canned(ticket: Ticket) -> CannedResponse | None:
    """The active canned response for the ticket's intent in the ticket's language (a response without a
    language is in the shop's), its queue's before a global one."""
    if not ticket.intent:
        return None
    shop = (conf.SUPPORT_SHOP_LANGUAGE or "en").lower()
    language = (ticket.language or shop).lower()
    rows = CannedResponse.objects.filter(is_active=True, intent=ticket.intent)
    rows = rows.filter(language=language) if language != shop else rows.filter(language__in=["", shop])
    return rows.filter(queue_id=ticket.queue_id).first() or rows.filter(queue__isnull=True).first() or rows.first()


def reply_strategies_apply(*, choice: dict, evaluation: dict, actor) -> dict:
    """Store a measured serving choice: each known intent gets the strategy the table chose for it.

    An intent whose choice equals ``SUPPORT_REPLY_STRATEGY`` is left empty (it follows the setting);
    returns ``{intent: strategy}`` of what was stored. ``evaluation`` is what the choice came from (logged).
    """
    import logging

    from ecomcms.errors import require_permission
    from support.services._base import NotAllowed

    if actor is not None:
        require_permission(actor, "ecomcms_support.change_intent", error=NotAllowed)
    valid = set(ReplyStrategy.values)
    default = replies.served(choice.get("default") or "")
    if default not in valid:
        raise ValueError(f"no measured default strategy in {choice!r}")
    stored = {}
    with transaction.atomic():
        for intent in Intent.objects.select_for_update():
            measured = replies.served(choice.get("per_intent", {}).get(intent.name, default))
            value = "" if measured == conf.SUPPORT_REPLY_STRATEGY or measured not in valid else measured
            if intent.reply_strategy != value:
                Intent.objects.filter(pk=intent.pk).update(reply_strategy=value)
            stored[intent.name] = value or conf.SUPPORT_REPLY_STRATEGY
    logging.getLogger(__name__).info("reply strategies applied from %s: %s", evaluation.get("settings"), stored)
    return stored
