"""A support agent answers a ticket in a real browser, with the real worker triaging it and writing the suggestion.

A customer's ticket the intent model is unsure about lands in the triage queue; the agent opens
it, rewrites the suggested reply and sends it; the customer gets the edited text by email.
"""

import time

import pytest
from rest_framework.test import APIClient

from support.demo import load_demo_knowledge
from support.models import Message, ReplySuggestion, Ticket, TicketStatus
from support.roles import AGENTS
from tests.support.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.models]

# No demo intent fits gift wrapping: the real embedding model gives its best guess a low confidence.
SUBJECT = "Gift wrapping"
QUESTION = "Do you offer gift wrapping for presents?"
EDITED = ("Hello Lena, yes: every order can be gift wrapped for free. Tick 'gift wrap' at checkout and "
          "we add a card with your message.\nBest regards, the shop team")


def wait_for(predicate, timeout, worker, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; worker log:\n" + worker.log()[-6000:])


def test_an_agent_edits_and_sends_the_suggested_reply_to_a_ticket_from_the_triage_queue(
        start_worker, open_browser, mailoutbox):
    load_demo_knowledge()
    make_user(AGENTS, username="agent")
    worker = start_worker("generation,default", SUPPORT_REPLY_MAX_NEW_TOKENS="64")
    created = APIClient().post("/api/v1/tickets", {
        "email": "lena@example.com", "name": "Lena Fischer", "subject": SUBJECT, "message": QUESTION,
    }, format="json")
    assert created.status_code == 201, created.content
    ticket = Ticket.objects.get(public_id=created.json()["id"])
    wait_for(lambda: ReplySuggestion.objects.filter(ticket=ticket, status="ready").exists(), 300, worker,
             "the suggested reply")
    ticket.refresh_from_db()
    assert ticket.needs_human_triage, ticket.triage_details
    suggestion = ticket.suggestions.get(status="ready")

    browser = open_browser()
    page = browser.page
    browser.login("agent", "pw")

    # The triage queue lists the ticket; opening it leads to the ticket page with the suggestion.
    browser.goto("/admin/ecomcms_support/triagequeue/")
    assert page.locator("#result_list tbody tr").count() == 1
    browser.screenshot("triage-queue")
    browser.click(f"#result_list tbody tr a:has-text('{SUBJECT}')")
    assert browser.path() == f"/admin/ecomcms_support/ticket/{ticket.pk}/change/"
    assert QUESTION in page.inner_text("#thread")
    box = page.locator("#decision-form textarea[name=text]")
    assert " ".join(box.input_value().split()) == " ".join(suggestion.text.split())
    browser.screenshot("ticket-with-suggestion")

    # The agent rewrites the reply and sends it.
    box.fill(EDITED)
    browser.screenshot("reply-edited")
    confirm = page.locator("#decision-form input[name=confirm_flags]")
    if suggestion.flags:  # the real model's reply is flagged: the agent confirms having checked the flags
        confirm.check()
    browser.click("#decision-form button[value=edit]")
    assert browser.messages() == ["Sent your edited reply to the customer."]
    assert "Lena, yes: every order can be gift wrapped" in page.locator("#thread .support-msg.staff").inner_text()
    browser.screenshot("reply-sent")

    # The browser submits the textarea's line breaks as CRLF; the reply is stored and emailed with plain LFs.
    [email] = mailoutbox
    assert email.to == ["lena@example.com"] and ticket.public_id in email.subject
    assert email.body.startswith(EDITED + "\n\n--\n")
    suggestion.refresh_from_db()
    assert (suggestion.decision, suggestion.sent_text, suggestion.decided_by.username) == ("edited", EDITED, "agent")
    assert ticket.messages.get(author_kind=Message.Author.STAFF).body == EDITED
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.WAITING
    browser.goto("/admin/ecomcms_support/triagequeue/")
    assert page.locator("#result_list tbody tr").count() == 1  # still unsure of the intent: a person sets it
