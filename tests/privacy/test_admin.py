"""The admin: export and erase actions on the ticket list, the confirmation page, the read-only audit trail."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.urls import reverse

from privacy import services
from privacy.models import CustomerDataRequest
from support.models import Ticket
from tests.privacy.factories import ANNA_EMAIL, ANNA_ID, ANNA_NAME, BOB_EMAIL, build_world, make_privacy_officer
from tests.support.factories import make_agent

pytestmark = pytest.mark.django_db

TICKETS = reverse("admin:ecomcms_support_ticket_changelist")
AUDIT = reverse("admin:ecomcms_privacy_customerdatarequest_changelist")


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def officer_client(client):
    client.force_login(make_privacy_officer())
    return client


def act(client, action, tickets, *, follow=False, **data):
    return client.post(TICKETS, {"action": action, ACTION_CHECKBOX_NAME: [t.pk for t in tickets], **data},
                       follow=follow)


def anna_subjects() -> set[str]:
    return set(Ticket.objects.exclude(customer_email=BOB_EMAIL).values_list("subject", flat=True))


def test_only_people_with_the_permissions_see_the_actions(client, world):
    client.force_login(make_agent())
    agent_page = client.get(TICKETS).content.decode()
    client.force_login(make_privacy_officer())
    officer_page = client.get(TICKETS).content.decode()
    client.force_login(User.objects.create_superuser("boss", password="pw"))
    boss_page = client.get(TICKETS).content.decode()

    assert 'value="export_customer_data"' not in agent_page and 'value="erase_customer_data"' not in agent_page
    for page in (officer_page, boss_page):
        assert 'value="export_customer_data"' in page and 'value="erase_customer_data"' in page


def test_an_agent_posting_the_action_anyway_erases_nothing(client, world):
    client.force_login(make_agent())

    act(client, "erase_customer_data", world.anna_tickets, apply="1", reason="x", confirm="on")

    assert "[erased]" not in anna_subjects() and not CustomerDataRequest.objects.exists()


def test_export_downloads_one_json_file_for_the_selected_tickets_customers(officer_client, world):
    response = act(officer_client, "export_customer_data", world.anna_tickets + [world.bob_ticket])

    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="customer-data-')
    assert "@" not in response["Content-Disposition"]
    bundle = json.loads(response.content)
    assert bundle["schema"] == "ecomcms.customer-data-bundle" and bundle["schema_version"] == 1
    # Anna's first ticket names her id, the second only her address: two requests, then Bob.
    requests = [(d["request"]["email"], d["request"]["customer_id"]) for d in bundle["customers"]]
    assert requests == [(ANNA_EMAIL, ANNA_ID), (ANNA_EMAIL, None), (BOB_EMAIL, "C-BOB-7")]
    assert CustomerDataRequest.objects.filter(kind="export", via="admin").count() == 3


def test_erase_shows_what_will_go_and_asks_for_a_reason_first(officer_client, world):
    response = act(officer_client, "erase_customer_data", world.anna_tickets[:1])

    page = response.content.decode()
    assert response.status_code == 200 and "This cannot be undone" in page
    assert ANNA_EMAIL in page and f"customer id {ANNA_ID}" in page
    assert "2 tickets" in page and "6 messages" in page and "7 shopper events in 2 sessions" in page
    assert 'name="reason"' in page and 'name="confirm"' in page
    assert "[erased]" not in anna_subjects()


def test_erase_without_reason_or_confirmation_shows_the_page_again_and_erases_nothing(officer_client, world):
    response = act(officer_client, "erase_customer_data", world.anna_tickets[:1], apply="1", reason="")

    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert "[erased]" not in anna_subjects() and not CustomerDataRequest.objects.exists()


def test_erase_with_a_reason_erases_the_customers_and_reports(officer_client, world):
    response = act(officer_client, "erase_customer_data", world.anna_tickets, apply="1",
                   reason=f"request from {ANNA_NAME}", confirm="on", follow=True)

    page = response.content.decode()
    assert "Erased the data of customers: 1." in page  # the second pair (address only) was covered by the first
    assert anna_subjects() == {"[erased]"}
    record = CustomerDataRequest.objects.get(kind="erase")
    assert record.via == "admin" and record.reason == "request from [NAME]"
    assert Ticket.objects.get(pk=world.bob_ticket.pk).subject == "My leaking kettle"


def test_selecting_only_erased_tickets_says_so(officer_client, world):
    services.customer_data_erase(email=ANNA_EMAIL, customer_id=ANNA_ID, actor=None, reason="asked")

    response = act(officer_client, "erase_customer_data", world.anna_tickets, follow=True)

    assert "name no customer (they were erased)" in response.content.decode()


def test_the_audit_trail_is_read_only_and_found_by_address(officer_client, world):
    services.customer_data_erase(email=ANNA_EMAIL, customer_id=ANNA_ID, actor=None, reason="asked")
    services.customer_data_export(email=BOB_EMAIL, actor=None)
    record = CustomerDataRequest.objects.get(kind="erase")
    erase_url = reverse("admin:ecomcms_privacy_customerdatarequest_change", args=[record.pk])
    export = CustomerDataRequest.objects.get(kind="export")
    export_url = reverse("admin:ecomcms_privacy_customerdatarequest_change", args=[export.pk])

    found = officer_client.get(AUDIT, {"q": ANNA_EMAIL.upper()}).content.decode()
    by_id = officer_client.get(AUDIT, {"q": ANNA_ID}).content.decode()
    everything = officer_client.get(AUDIT).content.decode()
    detail = officer_client.get(erase_url)

    assert erase_url in found and export_url not in found
    assert erase_url in by_id and export_url in everything
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert officer_client.get(reverse("admin:ecomcms_privacy_customerdatarequest_add")).status_code == 403
    assert (
        officer_client.post(reverse("admin:ecomcms_privacy_customerdatarequest_delete", args=[record.pk])).status_code
        == 403
    )
