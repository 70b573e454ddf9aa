"""End to end with a real worker process, the real broker, the real database and the real models.

A ticket posted to the API is redacted and triaged by the default-queue work, a
reply grounded in the knowledge base is written by the LLM, a staff member
accepts it, the customer gets the email and the thread shows the reply.
"""

import time

import pytest
from django.core import mail
from rest_framework.test import APIClient

from support import checks, services
from support.demo import load_demo_knowledge
from support.models import KnowledgeArticle, Message, ReplySuggestion, Ticket, TicketStatus, TriageStatus
from tests.support.factories import make_agent

pytestmark = [pytest.mark.worker, pytest.mark.models]


def wait_for(predicate, timeout, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("timed out; worker log:\n" + worker.log()[-6000:])


def test_a_ticket_from_the_api_is_triaged_answered_with_a_cited_article_and_sent(start_worker):
    load_demo_knowledge()
    agent = make_agent()
    worker = start_worker("generation,default", SUPPORT_REPLY_MAX_NEW_TOKENS="96", SUPPORT_REPLY_STRATEGY="model")
    api = APIClient()

    created = api.post("/api/v1/tickets", {
        "email": "anna@example.com", "name": "Anna Becker", "subject": "Returning shoes",
        "message": "Hi, the shoes I bought last week are too small. Can I return them? My phone is +49 151 23456789.",
    }, format="json")
    assert created.status_code == 201, created.content
    ticket = Ticket.objects.get(public_id=created.json()["id"])

    def suggested():
        return ReplySuggestion.objects.filter(ticket=ticket, status__in=["ready", "failed"]).exists()

    wait_for(suggested, 420, worker)

    ticket.refresh_from_db()
    assert ticket.triage_status == TriageStatus.DONE
    assert ticket.intent in ("check_refund_policy", "get_refund"), ticket.triage_details
    assert ticket.intent_confidence and ticket.sentiment and ticket.priority and ticket.language == "en"
    assert ticket.embedding_model.startswith("all-MiniLM-L6-v2")
    suggestion = ticket.suggestions.get(status="ready")
    returns = KnowledgeArticle.objects.get(title="Returns")
    assert returns in suggestion.articles.all()
    assert "[1] Returns: https://shop.example/help/returns" in suggestion.text
    assert suggestion.citations == [returns.pk]  # cited by the model, or quoted for it (then flagged)
    assert suggestion.model_id.startswith("SmolLM2-135M-Instruct") and suggestion.tokens_out > 0
    assert "+49 151 23456789" not in suggestion.redacted_text

    services.suggestion_accept(
        suggestion=suggestion, actor=agent, confirm_flags=checks.flags_to_confirm(suggestion.flags)
    )

    [email] = mail.outbox
    assert email.to == ["anna@example.com"] and email.body.startswith(suggestion.text)
    staff_reply = ticket.messages.get(author_kind=Message.Author.STAFF)
    assert staff_reply.body == suggestion.text and staff_reply.suggestion_id == suggestion.pk
    thread = api.get(f"/api/v1/tickets/{ticket.public_id}", HTTP_X_TICKET_TOKEN=created.json()["access_token"]).json()
    assert [m["author"] for m in thread["messages"]] == ["customer", "staff"]
    assert thread["messages"][1]["body"] == suggestion.text
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.WAITING
