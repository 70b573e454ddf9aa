"""`manage.py customer_data export|erase`: the same services, with a confirmation and clear errors."""

from __future__ import annotations

import json
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from privacy.models import CustomerDataRequest
from support.models import Ticket
from support.roles import AGENTS
from tests.privacy.factories import ANNA_EMAIL, ANNA_ID, BOB_EMAIL, build_world, make_privacy_officer
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("customer_data", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def anna_subjects() -> set[str]:
    return set(Ticket.objects.exclude(customer_email=BOB_EMAIL).values_list("subject", flat=True))


def test_export_prints_the_json_document(world):
    out, _ = run("export", "--email", ANNA_EMAIL, "--customer-id", ANNA_ID)

    document = json.loads(out)
    assert document["schema_version"] == 1 and len(document["tickets"]) == 2 and len(document["events"]) == 7
    record = CustomerDataRequest.objects.get()
    assert record.kind == "export" and record.via == "command" and record.actor is None


def test_export_writes_a_file_only_its_owner_can_read(world, tmp_path):
    target = tmp_path / "anna.json"

    out, err = run("export", "--email", ANNA_EMAIL, "--output", str(target), "--reason", "access request")

    assert out == "" and f"wrote {target}: 2 ticket(s)" in err
    assert json.loads(target.read_text())["counts"]["tickets"] == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_erase_with_yes_prints_the_plan_and_the_summary(world):
    out, _ = run("erase", "--email", ANNA_EMAIL, "--customer-id", ANNA_ID, "--reason", "request of 3 March", "--yes")

    record = CustomerDataRequest.objects.get()
    assert "2 ticket(s)" in out and "7 shopper event(s) in 2 session(s)" in out
    assert f"erased (audit request #{record.pk}): tickets 2," in out
    assert anna_subjects() == {"[erased]"}
    assert record.via == "command" and record.reason == "request of 3 March"


def test_erase_asks_first_and_stops_unless_told_yes(world, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")

    with pytest.raises(CommandError, match="not erased"):
        run("erase", "--email", ANNA_EMAIL, "--reason", "asked")

    assert "[erased]" not in anna_subjects() and not CustomerDataRequest.objects.exists()


def test_erase_goes_ahead_when_the_operator_types_yes(world, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")

    run("erase", "--email", ANNA_EMAIL, "--reason", "asked")

    assert anna_subjects() == {"[erased]"}


def test_the_plan_names_customer_ids_on_the_tickets_that_the_request_leaves_out(world):
    out, _ = run("erase", "--email", ANNA_EMAIL, "--reason", "asked", "--yes")

    assert f"the tickets also name customer id(s) {ANNA_ID}" in out


def test_by_records_who_asked_and_needs_the_permission(world):
    make_privacy_officer("dpo")
    make_user(AGENTS, username="agent-x")  # handles tickets; may not export

    run("export", "--email", ANNA_EMAIL, "--by", "dpo")
    with pytest.raises(CommandError, match="may not export customer data"):
        run("export", "--email", ANNA_EMAIL, "--by", "agent-x")
    with pytest.raises(CommandError, match="may not erase customer data"):
        run("erase", "--email", ANNA_EMAIL, "--reason", "asked", "--yes", "--by", "agent-x")
    with pytest.raises(CommandError, match="no active user 'ghost'"):
        run("export", "--email", ANNA_EMAIL, "--by", "ghost")

    assert CustomerDataRequest.objects.get().actor.username == "dpo"


@pytest.mark.parametrize("args, message", [
    (["export"], "give --email, --customer-id or both"),
    (["erase", "--reason", "x", "--yes"], "give --email, --customer-id or both"),
    (["export", "--email", "not-an-address"], "the email address is not valid"),
    (["erase", "--email", "not-an-address", "--reason", "x", "--yes"], "the email address is not valid"),
    (["export", "--email", "nobody@example.com"], "no ticket or shopper event matches"),
    (["erase", "--email", "nobody@example.com", "--reason", "x", "--yes"], "nothing to erase"),
    (["erase", "--email", ANNA_EMAIL, "--reason", "  ", "--yes"], "--reason is required"),
    (["erase", "--email", ANNA_EMAIL, "--yes"], "--reason"),
    (["export", "--email", ANNA_EMAIL, "--output", "/"], "is a folder"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(world, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)

    assert "[erased]" not in anna_subjects() and not CustomerDataRequest.objects.exists()
