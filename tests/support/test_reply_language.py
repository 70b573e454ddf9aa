"""Replies in the customer's language where the shop has templates for it; otherwise the agent is told."""

from __future__ import annotations

import numpy as np
import pytest

from support import services
from support.models import CannedResponse, ReplySuggestion, SetBy, Ticket
from support.services.knowledge import knowledge_refresh_embeddings, knowledge_retrieve
from tests.support.factories import make_knowledge, make_taxonomy, make_ticket
from tests.support.fakes import ScriptedGenerator

pytestmark = pytest.mark.django_db

GERMAN = ("Hallo, ich habe vor zwei Wochen meine Bestellung aufgegeben und noch nichts bekommen. Können Sie mir "
          "bitte sagen, wann die Bestellung ankommt? Danke")
SPANISH = ("Hola, no he recibido mi pedido y ya pasaron dos semanas. ¿Me pueden decir por favor dónde está el "
           "paquete? Gracias")
SPANISH_TEMPLATE = "Hola, gracias por escribirnos. Hemos revisado su pedido y le enviamos el enlace de seguimiento."


def triaged(subject: str, body: str) -> Ticket:
    ticket, _ = make_ticket(subject=subject, body=body)
    services.ticket_triage(ticket.pk)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def shop(db):
    make_taxonomy()
    make_knowledge()


def test_a_german_ticket_without_a_german_template_gets_no_english_draft_and_the_agent_is_told(
        shop, recording_models, client, agent):
    ticket = triaged("Wo bleibt meine Bestellung?", GERMAN)

    assert (ticket.language, ticket.language_confidence) == ("de", "high")
    assert not ReplySuggestion.objects.filter(ticket=ticket).exists()  # nothing queued for the model
    assert ScriptedGenerator.prompts == []
    note = "Customer wrote in German; no German template"
    client.force_login(agent)
    page = client.get(f"/admin/ecomcms_support/ticket/{ticket.pk}/change/").content.decode()
    assert note in page
    detail = client.get(f"/api/v1/staff/tickets/{ticket.public_id}").json()
    assert detail["reply_language"]["note"].startswith(note)
    assert (detail["reply_language"]["language"], detail["reply_language"]["foreign"],
            detail["reply_language"]["template_available"]) == ("de", True, False)
    with pytest.raises(services.SupportError, match="no German template"):
        services.suggestion_request(ticket=ticket, actor=agent)  # staff asking get the reason, not an English draft


def test_a_spanish_ticket_is_answered_from_the_spanish_template_without_the_model(shop, recording_models, client,
                                                                                  agent):
    template = CannedResponse.objects.create(title="Seguimiento del pedido", body=SPANISH_TEMPLATE, language="es")
    CannedResponse.objects.create(title="Devoluciones", body="Puede devolver el artículo en 30 días.", language="es")
    CannedResponse.objects.create(title="Sendungsverfolgung", body="Hier ist Ihr Link.", language="de")

    ticket = triaged("¿Dónde está mi pedido?", SPANISH)

    assert ticket.language == "es"
    suggestion = ReplySuggestion.objects.get(ticket=ticket)
    assert (suggestion.status, suggestion.text, suggestion.prompt_version) == (
        ReplySuggestion.Status.READY, SPANISH_TEMPLATE, "canned-template")
    assert list(suggestion.canned_responses.all()) == [template]
    assert ScriptedGenerator.prompts == []  # no model wrote it
    client.force_login(agent)
    detail = client.get(f"/api/v1/staff/tickets/{ticket.public_id}").json()
    assert detail["reply_language"]["template_available"] is True
    assert detail["suggestion"]["text"] == SPANISH_TEMPLATE
    # ... and staff send it as usual.
    services.suggestion_accept(suggestion=suggestion, actor=agent)
    assert ticket.messages.filter(author_kind="staff").get().body == SPANISH_TEMPLATE


def test_an_english_ticket_is_drafted_as_before_and_never_grounded_in_another_language(shop, recording_models):
    CannedResponse.objects.create(title="Where is my parcel tracking", body="Hier ist Ihr Link zur Sendung.",
                                  language="de")
    ticket = triaged("Where is my parcel?", "Hi, where is my parcel? It has not arrived. Please help me.")

    assert ticket.language == "en"
    assert ReplySuggestion.objects.get(ticket=ticket).status == ReplySuggestion.Status.PENDING
    knowledge_refresh_embeddings()
    from ecomcms import inference

    query = inference.get_embedder().embed(["Where is my parcel tracking"])
    sources = knowledge_retrieve(np.asarray(query.vectors[0]), model_id=query.model_id, queue_id=None)
    assert "Hier ist Ihr Link zur Sendung." not in [s.body for s in sources]


def test_a_short_uncertain_foreign_text_is_drafted_in_the_shops_language_with_a_note(shop, recording_models):
    ticket, _ = make_ticket(subject="Paket", body="Paket?")
    Ticket.objects.filter(pk=ticket.pk).update(language="de", language_confidence="low", language_set_by="model")
    ticket.refresh_from_db()
    plan = services.reply_language(ticket)
    assert not plan.foreign and "uncertain" in plan.note


def test_a_language_set_by_staff_counts_even_when_the_text_is_short(shop, agent):
    ticket, _ = make_ticket(subject="Paket", body="Paket?")
    Ticket.objects.filter(pk=ticket.pk).update(language="de", language_confidence="high",
                                               language_set_by=SetBy.STAFF)
    ticket.refresh_from_db()
    assert services.reply_language(ticket).note.startswith("Customer wrote in German; no German template")
