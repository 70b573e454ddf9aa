"""Send guards on suggested replies (issue 16 section 2): what cannot be sent, what needs a confirmation by name,
Accept not the default on a flagged suggestion, and card numbers masked on the staff pages."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from support import checks, services
from support.models import ReplySuggestion
from tests.support.factories import make_knowledge, make_ticket

pytestmark = pytest.mark.django_db

FLAGS = [{"code": "figure", "message": 'Mentions "7", a figure the articles and the ticket do not give.'},
         {"code": "commitment", "message": 'Promises "store credit", which the articles do not offer.'}]


def ready(ticket, text="It ships today.", flags=()):
    return ReplySuggestion.objects.create(ticket=ticket, status="ready", text=text, redacted_text=text,
                                          flags=list(flags))


def assert_nothing_sent(suggestion):
    suggestion.refresh_from_db()
    assert suggestion.decision == "" and mail.outbox == []
    assert not suggestion.ticket.messages.filter(author_kind="staff").exists()


# --- unfilled placeholders and unknown links --------------------------------------------------------------

@pytest.mark.parametrize("text, named", [
    ("Hi [NAME1] & [NAME2]! It ships today.", "[NAME1]"),
    ("We will send the package to [address].", "[address]"),
    ("Your order {order_id} ships today.", "{order_id}"),
    ("It ships today.\nBest regards,\n[Your_", "[Your_"),
    ("Hello [NAME_3], it ships today.", "[NAME_3]"),
])
def test_a_reply_with_an_unfilled_placeholder_cannot_be_accepted(agent, text, named):
    ticket, _ = make_ticket()
    suggestion = ready(ticket, text)

    with pytest.raises(services.ReplyNotSendable) as refused:
        services.suggestion_accept(suggestion=suggestion, actor=agent, confirm_flags=["placeholder"])

    assert named in str(refused.value)
    assert_nothing_sent(suggestion)


def test_a_link_absent_from_the_knowledge_base_cannot_be_sent_and_one_in_it_can(agent):
    make_knowledge()
    ticket, _ = make_ticket()
    outside = ready(ticket, "Buy a new one at amazon.com today.")

    with pytest.raises(services.ReplyNotSendable, match="amazon.com"):
        services.suggestion_accept(suggestion=outside, actor=agent)
    assert_nothing_sent(outside)

    inside = ready(make_ticket()[0], "See https://shop.example/help/returns [1] or write to anna@example.com.\n\n"
                                     "Related help article:\n[1] Returns: https://shop.example/help/returns")
    services.suggestion_accept(suggestion=inside, actor=agent)
    assert len(mail.outbox) == 1


def test_an_edit_is_checked_too(agent):
    ticket, _ = make_ticket()
    suggestion = ready(ticket, "It ships today.")

    with pytest.raises(services.ReplyNotSendable, match=r"\[address\]"):
        services.suggestion_edit_and_send(suggestion=suggestion, actor=agent, text="We send it to [address].")
    with pytest.raises(services.ReplyNotSendable, match="evil.example.com"):
        services.suggestion_edit_and_send(suggestion=suggestion, actor=agent, text="Go to https://evil.example.com/x")
    assert_nothing_sent(suggestion)


def test_citations_are_not_placeholders():
    assert checks.unfilled_placeholders("As our article says [1] and [2], [1, 2].\n[1] Returns: https://x") == []


# --- flags need a confirmation naming them --------------------------------------------------------------

def test_a_flagged_reply_needs_a_confirmation_naming_each_flag(agent):
    ticket, _ = make_ticket()
    suggestion = ready(ticket, flags=FLAGS)

    with pytest.raises(services.FlagsNotConfirmed) as unconfirmed:
        services.suggestion_accept(suggestion=suggestion, actor=agent)
    assert unconfirmed.value.missing == ["figure", "commitment"] and "commitment" in str(unconfirmed.value)
    with pytest.raises(services.FlagsNotConfirmed) as partly:
        services.suggestion_edit_and_send(suggestion=suggestion, actor=agent, text="Edited.", confirm_flags=["figure"])
    assert partly.value.missing == ["commitment"]
    assert_nothing_sent(suggestion)

    services.suggestion_edit_and_send(suggestion=suggestion, actor=agent, text="Edited.",
                                      confirm_flags=["figure,commitment"])
    suggestion.refresh_from_db()
    assert suggestion.decision == "edited" and mail.outbox[0].body.startswith("Edited.")


# --- the staff API: 400 / 409 JSON, never 500 -------------------------------------------------------------

def test_the_api_refuses_with_400_or_409_and_names_the_problem(agent):
    api = APIClient()
    api.force_login(agent)
    ticket, _ = make_ticket()
    blocked = ready(ticket, "Hi [NAME1]! Order more at amazon.com.")
    flagged = ready(make_ticket()[0], flags=FLAGS)

    responses = [
        api.post(f"/api/v1/staff/suggestions/{blocked.pk}/accept", {}, format="json"),
        api.post(f"/api/v1/staff/suggestions/{flagged.pk}/accept", {}, format="json"),
        api.post(f"/api/v1/staff/suggestions/{flagged.pk}/edit-and-send", {"text": "Edited {order_id}"}, format="json"),
        api.post(f"/api/v1/staff/suggestions/{flagged.pk}/accept", {"confirm_flags": "figure"}, format="json"),
    ]

    errors = [(r.status_code, r.json()["error"]["code"]) for r in responses]
    assert errors == [(400, "reply_not_sendable"), (409, "flags_not_confirmed"), (400, "reply_not_sendable"),
                      (400, "validation_error")]
    assert (
        "[NAME1]" in responses[0].json()["error"]["message"] and "amazon.com" in responses[0].json()["error"]["message"]
    )
    assert (
        "figure" in responses[1].json()["error"]["message"] and "commitment" in responses[1].json()["error"]["message"]
    )
    assert mail.outbox == []

    sent = api.post(f"/api/v1/staff/suggestions/{flagged.pk}/accept", {"confirm_flags": ["figure", "commitment"]},
                    format="json")
    assert sent.status_code == 200 and sent.json()["decision"] == "accepted" and len(mail.outbox) == 1


# --- the admin page -------------------------------------------------------------------------------------

def page(client, ticket):
    return client.get(reverse("admin:ecomcms_support_ticket_change", args=[ticket.pk])).content.decode()


def act(client, ticket, **data):
    return client.post(reverse("admin:ecomcms_support_ticket_act", args=[ticket.pk]), data)


def test_accept_is_not_the_default_button_on_a_flagged_suggestion(client, agent):
    client.force_login(agent)
    flagged_ticket, _ = make_ticket()
    ready(flagged_ticket, flags=FLAGS)
    clean_ticket, _ = make_ticket()
    ready(clean_ticket)

    flagged, clean = page(client, flagged_ticket), page(client, clean_ticket)

    assert 'value="accept" class="button default"' in clean
    assert 'value="accept" class="button default"' not in flagged and 'value="accept" class="button"' in flagged
    assert flagged.index('value="edit"') < flagged.index('value="accept"')  # Enter in the form never accepts
    assert (
        'name="confirm_flags" value="figure,commitment"' in flagged
        and "I checked the flags above: figure, commitment" in flagged
    )
    assert 'name="confirm_flags"' not in clean


def test_the_admin_sends_a_flagged_suggestion_only_when_its_flags_are_ticked(client, agent):
    client.force_login(agent)
    ticket, _ = make_ticket()
    suggestion = ready(ticket, flags=FLAGS)

    refused = act(client, ticket, action="accept", suggestion=suggestion.pk)
    assert any("confirm_flags: figure, commitment" in str(m) for m in refused.wsgi_request._messages)
    assert_nothing_sent(suggestion)

    act(client, ticket, action="accept", suggestion=suggestion.pk, confirm_flags="figure,commitment")
    suggestion.refresh_from_db()
    assert suggestion.decision == "accepted" and len(mail.outbox) == 1


def test_the_admin_shows_why_a_suggestion_cannot_be_sent_and_disables_accept(client, agent):
    client.force_login(agent)
    ticket, _ = make_ticket()
    suggestion = ready(ticket, "Hi [NAME1], see amazon.com.")

    content = page(client, ticket)
    refused = act(client, ticket, action="accept", suggestion=suggestion.pk)

    assert 'id="send-blockers"' in content and "[NAME1]" in content and "amazon.com" in content
    assert "disabled" in content[content.index('value="accept"'):content.index("Accept &amp; send")]
    assert any("cannot be sent as written" in str(m) for m in refused.wsgi_request._messages)
    assert_nothing_sent(suggestion)


def test_staff_see_card_numbers_masked_in_the_ticket_messages(client, agent):
    client.force_login(agent)
    ticket, _ = make_ticket(subject="Charged twice on 4111 1111 1111 1111",
                            body="My card 4242-4242-4242-4242 was charged twice for order 12345.")

    content = page(client, ticket)

    assert "4242-4242-4242-4242" not in content and "4111 1111 1111 1111" not in content
    assert "**** **** **** 4242" in content and "**** **** **** 1111" in content
    assert "order 12345" in content


def test_the_queue_masks_card_numbers_in_subjects(client, agent):
    client.force_login(agent)
    make_ticket(subject="Charged twice on 4111 1111 1111 1111")

    content = client.get(reverse("admin:ecomcms_support_ticket_changelist")).content.decode()

    assert "4111 1111 1111 1111" not in content and "**** **** **** 1111" in content
