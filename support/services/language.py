"""Replies in the customer's language where the shop has templates for it; otherwise the agent is told.

The ticket's language comes from triage (``support.triage.language``: function words and letters
of eight European languages, no model and no download) or from staff. A ticket whose language is
known (Medium or High confidence, or set by staff) and is not ``SUPPORT_SHOP_LANGUAGE`` is
*foreign*:

- when the shop has active canned responses in that language (``CannedResponse.language``, global
  or for the ticket's queue), the suggested reply is the best of them (most words shared with the
  ticket; the ticket's queue before global ones), ready at once, written by no model;
- otherwise no reply is drafted (the reply model writes the shop's language: an English reply to a
  German ticket helps nobody) and the agent sees "Customer wrote in German; no German template"
  on the ticket page and in the staff API.

Low-confidence detections (very short texts) are not acted on: the ticket is treated as written in
the shop's language, and the note says the language is uncertain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from support.conf import conf
from support.models import CannedResponse, Confidence, ReplySuggestion, SetBy, Ticket, TicketEvent
from support.services._base import SupportError, _event

LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "nl": "Dutch",
    "pt": "Portuguese", "sv": "Swedish",
}
TEMPLATE_PROMPT_VERSION = "canned-template"  # provenance of a suggestion taken from a canned response
_WORD = re.compile(r"\w+")


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code or "an unknown language")


@dataclass(frozen=True)
class ReplyLanguage:
    """How a ticket's language shapes its suggested reply."""

    language: str  # the customer's, as detected or set ("" unknown)
    shop_language: str
    foreign: bool  # known, and not the shop's: the reply model must not draft
    certain: bool
    templates: tuple[int, ...]  # active canned responses in the customer's language usable for this ticket

    @property
    def note(self) -> str:
        """What the agent is told; empty when the ticket is in the shop's language."""
        name = language_name(self.language)
        if self.foreign and self.templates:
            return f"Customer wrote in {name}; the suggestion is a {name} template."
        if self.foreign:
            return f"Customer wrote in {name}; no {name} template, so no reply was drafted: answer in {name} " \
                   f"yourself or add a {name} canned response."
        if self.language and self.language != self.shop_language and not self.certain:
            return f"Customer may have written in {name} (uncertain: a short text); the reply was drafted in " \
                   f"{language_name(self.shop_language)}."
        return ""

    def as_dict(self) -> dict:
        return {"language": self.language, "shop_language": self.shop_language, "foreign": self.foreign,
                "template_available": bool(self.templates), "note": self.note}


def _templates(ticket: Ticket, language: str):
    return CannedResponse.objects.filter(is_active=True, language=language).filter(
        Q(queue__isnull=True) | Q(queue_id=ticket.queue_id))


def reply_language(ticket: Ticket) -> ReplyLanguage:
    shop = (conf.SUPPORT_SHOP_LANGUAGE or "en").lower()
    language = (ticket.language or "").lower()
    certain = ticket.language_set_by == SetBy.STAFF or ticket.language_confidence in (Confidence.HIGH,
                                                                                     Confidence.MEDIUM)
    foreign = bool(language) and language != shop and certain
    templates = tuple(_templates(ticket, language).order_by("pk").values_list("pk", flat=True)) if foreign else ()
    return ReplyLanguage(language, shop, foreign, certain, templates)


def _best_template(ticket: Ticket, plan: ReplyLanguage) -> CannedResponse:
    """Most words shared with the ticket's redacted text; then the ticket's queue before global; then the oldest."""
    from support.services.tickets import ticket_model_text  # tickets imports this module's callers

    words = set(_WORD.findall(ticket_model_text(ticket).casefold()))
    rows = list(CannedResponse.objects.filter(pk__in=plan.templates).order_by("pk"))
    return max(rows, key=lambda c: (len(words & set(_WORD.findall(f"{c.title} {c.body}".casefold()))),
                                    c.queue_id is not None, -c.pk))


def suggestion_from_template(*, ticket: Ticket, plan: ReplyLanguage, actor) -> ReplySuggestion | None:
    """The suggested reply to a ticket in a foreign language: a canned response in its language, or none.

    Staff asking for a suggestion on a ticket without a template in its language get a
    ``SupportError`` saying so; triage gets ``None`` (the note on the ticket says why).
    """
    if not plan.templates:
        if actor is not None:
            raise SupportError(plan.note)
        return None
    template = _best_template(ticket, plan)
    with transaction.atomic():
        ReplySuggestion.objects.filter(
            ticket=ticket, status__in=[ReplySuggestion.Status.READY, ReplySuggestion.Status.FAILED], decision="",
        ).update(status=ReplySuggestion.Status.SUPERSEDED)
        if ReplySuggestion.objects.filter(ticket=ticket, status__in=[ReplySuggestion.Status.PENDING,
                                                                   ReplySuggestion.Status.GENERATING]).exists():
            return None
        latest = ticket.messages.filter(author_kind="customer").order_by("-created_at", "-pk").first()
        suggestion = ReplySuggestion.objects.create(
            ticket=ticket, status=ReplySuggestion.Status.READY, text=template.body, redacted_text=template.body,
            based_on=latest, prompt_version=TEMPLATE_PROMPT_VERSION, generated_at=timezone.now(),
            options={"language": plan.language, "template": template.pk},
            sources=[{"number": 1, "kind": "canned", "id": template.pk, "title": template.title, "similarity": None}],
        )
        suggestion.canned_responses.add(template)
        _event(ticket, TicketEvent.Kind.SUGGESTED, actor=actor, to_value=f"suggestion {suggestion.pk}",
               comment=f"{language_name(plan.language)} template '{template.title}' (customer wrote in "
                       f"{language_name(plan.language)}; no model drafted it)")
    return suggestion
