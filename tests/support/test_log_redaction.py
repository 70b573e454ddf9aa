"""Logs never carry a customer's personal data: every support log line with customer-derived text goes
through ``support.privacy.log_safe``.

The happy path logs no customer text at all. Model errors are the lines that can: a
backend's message may quote what it was given, and a redaction miss would then reach
the log. The fakes below fail with personal data in their messages, so these tests
fail if the log lines' redaction is removed.
"""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from ecomcms import inference
from ecomcms.inference.base import ModelError
from ecomcms.inference.fake import FakeEmbedder, FakeGenerator
from support import services
from support.models import ReplySuggestion, Ticket
from tests.support.factories import make_knowledge, make_taxonomy

pytestmark = pytest.mark.django_db

EMAIL = "lena.vogt@example.org"
PHONE = "+49 171 2345678"
CARD = "4539 1488 0343 6467"
NAME = "Lena Vogt"
SECRETS = [EMAIL, PHONE, CARD, NAME, "Vogt", "4539"]
LEAK = f"backend refused the input from {NAME} <{EMAIL}>, tel. {PHONE}, card {CARD}"


class LeakyEmbedder(FakeEmbedder):
    """Fails the way a careless backend does: with the customer's data in its message."""

    permanent = True

    def embed(self, texts):
        raise ModelError(LEAK, permanent=LeakyEmbedder.permanent)


class LeakyGenerator(FakeGenerator):
    def generate(self, prompts, options, **kwargs):
        raise ModelError(LEAK, permanent=True)


def logged(caplog) -> str:
    """Everything that reached a log handler: formatted messages and any traceback text."""
    handler = logging.Formatter()
    return "\n".join(handler.format(record) for record in caplog.records)


def assert_no_personal_data(text: str) -> None:
    assert [secret for secret in SECRETS if secret in text] == []


def open_ticket() -> Ticket:
    """Through the customer API, as a shopper would."""
    response = APIClient().post(reverse("api-tickets"), {
        "email": EMAIL, "name": NAME, "subject": f"Card {CARD} charged twice",
        "message": f"Hi, I am {NAME}. Mail me at {EMAIL} or call {PHONE}. My card {CARD} was charged twice.",
    }, format="json")
    assert response.status_code == 201, response.content
    return Ticket.objects.get(public_id=response.json()["id"])


@pytest.fixture
def leaky(settings):
    def use(*, embedder: bool = False, generator: bool = False, permanent: bool = True):
        if embedder:
            settings.ECOMCMS_EMBEDDING_BACKEND = "tests.support.test_log_redaction.LeakyEmbedder"
        if generator:
            settings.ECOMCMS_TEXT_BACKEND = "tests.support.test_log_redaction.LeakyGenerator"
        LeakyEmbedder.permanent = permanent
        inference.reset()

    yield use
    LeakyEmbedder.permanent = True
    inference.reset()


def test_creating_triaging_and_answering_a_ticket_logs_no_personal_data(fake_models, caplog):
    make_taxonomy()
    make_knowledge()
    caplog.set_level(logging.DEBUG)

    ticket = open_ticket()
    services.ticket_triage(ticket.pk)
    services.suggestions_process()

    assert ReplySuggestion.objects.get(ticket=ticket).status == "ready"  # the whole path ran
    assert_no_personal_data(logged(caplog))


def test_a_failed_triage_logs_the_model_error_without_personal_data(fake_models, leaky, caplog):
    make_taxonomy()
    ticket = open_ticket()
    leaky(embedder=True)
    caplog.set_level(logging.DEBUG)

    services.ticket_triage(ticket.pk)

    text = logged(caplog)
    assert f"ticket {ticket.pk}: triage failed: backend refused the input from [NAME] <[EMAIL]>, tel. [PHONE], " \
           "card [CARD]" in text
    assert_no_personal_data(text)


def test_a_triage_retry_carries_no_personal_data_for_celery_to_log(fake_models, leaky):
    make_taxonomy()
    ticket = open_ticket()
    leaky(embedder=True, permanent=False)

    with pytest.raises(services.TriageRetry) as retry:
        services.ticket_triage(ticket.pk)

    assert "[EMAIL]" in str(retry.value)
    assert_no_personal_data(str(retry.value))


def test_a_failed_suggestion_logs_the_model_error_without_personal_data(fake_models, leaky, caplog):
    make_taxonomy()
    make_knowledge()
    ticket = open_ticket()
    services.ticket_triage(ticket.pk)
    leaky(generator=True)
    caplog.set_level(logging.DEBUG)

    services.suggestions_process()

    text = logged(caplog)
    assert ReplySuggestion.objects.get(ticket=ticket).status == "failed"
    assert "backend refused the input from [NAME] <[EMAIL]>" in text
    assert_no_personal_data(text)
