"""Tickets that show a product's copy misled the customer open a revision request on that copy.

A ticket is a copy report when both hold, deterministically:

- its intent is one of ``SUPPORT_COPY_REVISION_INTENTS`` (not as described, wrong size,
  incompatible, missing item: whatever the shop's taxonomy calls them), set by the model or by
  staff; and
- its redacted subject and first message name a product of the catalogue
  (``content.selectors.products_mentioned``: SKU, product link or full title).

The customer's point (redacted subject and first message, never the text as written) goes to
``content.revisions.copy_revision_report``, which opens the product's revision request (a
draft in the editors' queue) or adds the point to the one already open. The link row
``TicketCopyRevision`` lets both admin pages point at each other.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.urls import NoReverseMatch, reverse

from content import revisions as content_revisions
from content.selectors import products_mentioned
from support.conf import conf
from support.models import Ticket, TicketCopyRevision
from support.services.tickets import ticket_model_text

logger = logging.getLogger(__name__)


def copy_revision_intents() -> set[str]:
    return {name.strip() for name in conf.SUPPORT_COPY_REVISION_INTENTS if name and name.strip()}


def _ticket_admin_url(ticket: Ticket) -> str:
    try:
        return reverse("admin:ecomcms_support_ticket_change", args=[ticket.pk])
    except NoReverseMatch:  # a host project without the admin
        return ""


def ticket_copy_revision(ticket: Ticket) -> list[TicketCopyRevision]:
    """Open or join the revision request of each product a misleading-copy ticket names.

    Does nothing for other intents or when no product is named. Idempotent: a ticket triaged
    again (or overridden to the same intent) links each product once and adds its point once.
    Called by triage and by a staff override of the intent, inside their transaction.
    """
    if not ticket.intent or ticket.intent not in copy_revision_intents():
        return []
    text = ticket_model_text(ticket)  # redacted: personal data never leaves support
    links = []
    for product in products_mentioned(text):
        if TicketCopyRevision.objects.filter(ticket=ticket, product=product).exists():
            continue
        with transaction.atomic():
            revision, opened = content_revisions.copy_revision_report(
                product=product, source=ticket.public_id, text=text, reason=ticket.intent,
                url=_ticket_admin_url(ticket),
            )
            links.append(TicketCopyRevision.objects.create(
                ticket=ticket, revision=revision, product=product, intent=ticket.intent, opened=opened))
        logger.info("ticket %s: copy report on product %s (%s revision %s)", ticket.pk, product.pk,
                    "opened" if opened else "joined", revision.pk)
    return links
