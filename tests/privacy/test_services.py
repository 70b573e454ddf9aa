"""Customer data export and erasure: what goes, what stays, and what is refused."""

from __future__ import annotations

import json
import logging
from io import StringIO

import numpy as np
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from ecomcms.models import Adapter
from privacy import services
from privacy.models import CustomerDataRequest
from privacy.pseudonyms import identifier_hash, pseudonym
from recommender import services as recommender_services
from recommender.artifacts import Artifact, artifact_path
from recommender.models import Event, ModelVersion, VersionStatus
from support import services as support_services
from support.intent_finetuning import intent_labels
from support.models import InboundEmail, IntentLabel, Message, ReplySuggestion, Ticket, TicketEvent, TriageStatus
from tests.privacy.factories import (
    ANNA_CARD,
    ANNA_EMAIL,
    ANNA_ID,
    ANNA_NAME,
    ANNA_PHONE,
    ANNA_TEXTS,
    BOB_EMAIL,
    BOB_ID,
    BOB_TEXTS,
    build_world,
    make_privacy_officer,
    statistics,
)
from tests.recommender.factories import train
from tests.support.factories import make_agent, make_ticket

pytestmark = pytest.mark.django_db

REASON = f"Erasure request by {ANNA_EMAIL} ({ANNA_NAME}) on 3 March"


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def officer():
    return make_privacy_officer()


def database_dump() -> str:
    """Every row of every table the project and Django keep, as text (binary fields base64)."""
    out = StringIO()
    call_command("dumpdata", "--natural-foreign", exclude=["contenttypes", "auth.permission", "sessions"], stdout=out)
    return out.getvalue()


def erase_anna(officer, **kwargs):
    kwargs.setdefault("email", ANNA_EMAIL)
    kwargs.setdefault("customer_id", ANNA_ID)
    return services.customer_data_erase(actor=officer, reason=REASON, **kwargs)


# --- Export ---------------------------------------------------------------------------------------------

def test_the_export_holds_every_ticket_message_reply_label_and_event_of_the_customer_only(world, officer):
    document = services.customer_data_export(email=ANNA_EMAIL, customer_id=ANNA_ID, actor=officer)

    json.dumps(document)  # serialisable as it is
    assert document["schema"] == "ecomcms.customer-data" and document["schema_version"] == 1
    assert document["generated_at"]
    assert [t["id"] for t in document["tickets"]] == [t.public_id for t in world.anna_tickets]
    first, second = document["tickets"]
    assert first["customer"] == {"email": ANNA_EMAIL, "name": ANNA_NAME, "customer_id": ANNA_ID}
    assert second["customer"]["email"] == ANNA_EMAIL.title()  # matched whatever the letter case
    assert [m["author"] for m in first["messages"]] == ["customer", "staff", "note", "customer"]
    assert first["messages"][2]["internal_note"] is True
    assert ANNA_CARD in first["messages"][3]["body"]
    assert [s["decision"] for s in second["suggested_replies"]] == ["rejected", "edited"]
    assert first["intent_labels"][0]["intent"] == "track_order"
    assert first["predictions"]["intent"] == {"value": "track_order", "confidence": "high", "set_by": "staff"}
    assert {e["kind"] for e in first["history"]} >= {"created", "override", "decision", "message"}
    assert document["counts"] == {"tickets": 2, "messages": 6, "attachments": 0, "suggested_replies": 3,
                                  "intent_labels": 2, "events": 7, "sessions": 2}
    kinds = sorted((e["type"], e["customer_id"], e["session_id"]) for e in document["events"])
    assert kinds == sorted([("purchase", ANNA_ID, "sess-anna-1")] * 2 + [("purchase", ANNA_ID, "sess-anna-2")] * 2
                           + [("view", "", "sess-anna-1")] * 2 + [("search", "", "sess-anna-2")])
    assert document["sessions"] == ["sess-anna-1", "sess-anna-2"]
    assert BOB_EMAIL not in json.dumps(document) and BOB_ID not in json.dumps(document)


def test_an_email_alone_finds_the_tickets_but_not_the_events_of_the_id_written_on_them(world, officer):
    document = services.customer_data_export(email=ANNA_EMAIL, actor=officer)

    assert len(document["tickets"]) == 2 and document["events"] == []


def test_an_export_is_audited_with_hashes_never_the_identifiers(world, officer):
    document = services.customer_data_export(email=ANNA_EMAIL, customer_id=ANNA_ID, actor=officer,
                                             reason=f"access request from {ANNA_EMAIL}")

    record = CustomerDataRequest.objects.get()
    assert record.pk == document["request"]["audit_id"]
    assert record.kind == "export" and record.actor == officer and record.counts == document["counts"]
    assert record.email_hash == identifier_hash("email", ANNA_EMAIL) and len(record.email_hash) == 64
    assert record.customer_id_hash == identifier_hash("customer", ANNA_ID)
    assert record.reason == "access request from [EMAIL]"
    row = json.dumps(list(CustomerDataRequest.objects.values()), default=str)
    assert ANNA_EMAIL not in row and ANNA_ID not in row


@pytest.mark.parametrize("kwargs, message", [
    ({}, "give the customer's email address, customer id, or both"),
    ({"email": "  "}, "give the customer's email address, customer id, or both"),
    ({"email": "not-an-address"}, "the email address is not valid"),
    ({"email": "nobody@example.com"}, "no ticket or shopper event matches this email address"),
    ({"customer_id": "C-NOBODY"}, "no ticket or shopper event matches this customer id"),
])
def test_an_export_without_a_usable_identifier_or_match_is_refused(world, officer, kwargs, message):
    with pytest.raises(services.PrivacyError, match=message):
        services.customer_data_export(actor=officer, **kwargs)

    assert not CustomerDataRequest.objects.exists()


def test_exporting_and_erasing_need_their_own_permissions(world):
    agent = make_agent()  # handles tickets, may not export or erase
    before = statistics(), database_dump()

    with pytest.raises(services.NotAllowed):
        services.customer_data_export(email=ANNA_EMAIL, actor=agent)
    with pytest.raises(services.NotAllowed):
        services.customer_data_erase(email=ANNA_EMAIL, actor=agent, reason="asked")

    assert (statistics(), database_dump()) == before
    assert not CustomerDataRequest.objects.exists()


# --- Erasure: what goes -----------------------------------------------------------------------------------

def test_after_erasure_none_of_the_customers_data_is_left_anywhere_in_the_database(world, officer):
    LogEntry.objects.create(user=officer, content_type=ContentType.objects.get_for_model(Ticket),
                            object_id=str(world.anna_tickets[0].pk), object_repr=str(world.anna_tickets[0]),
                            action_flag=CHANGE, change_message="[]")
    dump = database_dump()
    assert all(text in dump for text in ANNA_TEXTS + BOB_TEXTS)  # the test can see them

    erase_anna(officer)

    dump = database_dump().lower()
    assert [text for text in ANNA_TEXTS + [ANNA_EMAIL.title()] if text.lower() in dump] == []
    assert [text for text in BOB_TEXTS if text.lower() not in dump] == []  # another customer is untouched


def test_the_customers_emails_taken_in_from_the_mailbox_are_erased_and_anothers_are_not(world, officer):
    InboundEmail.objects.create(message_key="m1@example.com", message_id="m1@example.com", fingerprint="1" * 64,
                                from_address=ANNA_EMAIL, subject="My blue umbrella", outcome="ticket",
                                references=["m0@example.com"], ticket=world.anna_tickets[0])
    InboundEmail.objects.create(message_key="m2@example.com", fingerprint="2" * 64, from_address=ANNA_EMAIL.upper(),
                                subject="Out of office: Anna Becker", outcome="skipped", reason="auto-reply: x")
    bob = InboundEmail.objects.create(message_key="m3@example.com", fingerprint="3" * 64, from_address=BOB_EMAIL,
                                      subject="leaking kettle", outcome="ticket")
    bob_before = InboundEmail.objects.filter(pk=bob.pk).values().get()

    summary = erase_anna(officer)

    assert summary.counts["inbound_emails"] == 2
    rows = list(InboundEmail.objects.exclude(pk=bob.pk).order_by("pk").values_list(
        "from_address", "subject", "message_id", "references", "outcome", "message_key"))
    assert rows == [(pseudonym("email", ANNA_EMAIL), "[erased]", "", [], "ticket", "m1@example.com"),
                    (pseudonym("email", ANNA_EMAIL), "[erased]", "", [], "skipped", "m2@example.com")]
    assert InboundEmail.objects.filter(pk=bob.pk).values().get() == bob_before


def test_another_customers_rows_are_exactly_as_they_were(world, officer):
    bob_tickets = list(Ticket.objects.filter(customer_email=BOB_EMAIL).values())
    bob_messages = list(Message.objects.filter(ticket__customer_email=BOB_EMAIL).values())
    bob_events = list(Event.objects.filter(session_id="sess-bob-1").values())
    other_events = list(Event.objects.filter(customer_id__startswith="other-").values())

    erase_anna(officer)

    assert list(Ticket.objects.filter(customer_email=BOB_EMAIL).values()) == bob_tickets
    assert list(Message.objects.filter(ticket__customer_email=BOB_EMAIL).values()) == bob_messages
    assert list(Event.objects.filter(session_id="sess-bob-1").values()) == bob_events
    assert list(Event.objects.filter(customer_id__startswith="other-").values()) == other_events


def test_tickets_get_stable_pseudonyms_and_the_customers_link_stops_working(world, officer):
    first, second = world.anna_tickets
    Ticket.objects.filter(pk=first.pk).update(embedding=b"\x00\x00\x80?", embedding_model="fake-embedder")

    erase_anna(officer)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.customer_email == second.customer_email == pseudonym("email", ANNA_EMAIL)
    assert first.customer_email.endswith("@erased.invalid") and first.customer_email.startswith("erased-")
    assert first.customer_id == pseudonym("customer", ANNA_ID) and second.customer_id == ""
    assert first.customer_name == "" and first.subject == first.redacted_subject == "[erased]"
    assert first.order_reference == "[erased]" and second.order_reference == ""
    assert first.redactions == {} and first.embedding is None and first.embedding_model == ""
    assert support_services.ticket_authenticate(public_id=first.public_id, token=world.anna_token) is None
    # Messages, replies, history and labels: the text goes, the facts stay.
    messages = Message.objects.filter(ticket__in=[first, second])
    assert {(m.body, m.redacted_body, str(m.redactions)) for m in messages} == {("[erased]", "[erased]", "{}")}
    suggestions = ReplySuggestion.objects.filter(ticket__in=[first, second])
    assert {s.text for s in suggestions} == {"[erased]"} and {s.flags[0]["code"] for s in suggestions} == {"figure"}
    assert {s.sent_text for s in suggestions} == {"[erased]", ""}
    assert suggestions.get(decision="rejected").reject_reason == "[erased]"
    comments = TicketEvent.objects.filter(ticket__in=[first, second]).values_list("comment", flat=True)
    assert set(comments) == {"[erased]", ""}  # routing events have no comment
    assert set(IntentLabel.objects.filter(ticket__in=[first, second]).values_list("text", flat=True)) == {""}


def test_events_keep_products_times_and_amounts_under_per_value_pseudonyms(world, officer):
    before = list(Event.objects.order_by("pk").values("pk", "product_id", "type", "quantity", "price", "occurred_at"))

    erase_anna(officer)

    assert list(Event.objects.order_by("pk").values("pk", "product_id", "type", "quantity", "price", "occurred_at")) \
        == before
    assert not Event.objects.filter(customer_id=ANNA_ID).exists()
    assert Event.objects.filter(customer_id=pseudonym("customer", ANNA_ID)).count() == 4
    assert Event.objects.filter(session_id=pseudonym("session", "sess-anna-1")).count() == 4
    assert Event.objects.filter(session_id=pseudonym("session", "sess-anna-2")).count() == 3
    assert Event.objects.filter(order_id=pseudonym("order", "AN-ORDER-2")).count() == 2
    assert Event.objects.get(type="search").query == "[erased]"
    # Anonymous events of her sessions stay anonymous: attribution is not invented.
    assert Event.objects.filter(session_id=pseudonym("session", "sess-anna-1"), customer_id="").count() == 2


def test_the_customer_id_is_replaced_in_trained_recommender_versions(world, officer,
                                                                      django_capture_on_commit_callbacks):
    version = train()
    old_file = artifact_path(version.artifact)
    before = recommender_services.recommend_for_customer(customer_id=ANNA_ID)

    with django_capture_on_commit_callbacks(execute=True):
        summary = erase_anna(officer)

    version.refresh_from_db()
    assert summary.counts["recommender_versions"] == 1
    assert not old_file.exists() and artifact_path(version.artifact).exists()
    ids = Artifact.load(artifact_path(version.artifact)).customer_ids.tolist()
    assert ANNA_ID not in ids and pseudonym("customer", ANNA_ID) in ids and BOB_ID in ids
    as_pseudonym = recommender_services.recommend_for_customer(customer_id=pseudonym("customer", ANNA_ID))
    assert [r.product.pk for r in as_pseudonym.items] == [r.product.pk for r in before.items]
    stranger = recommender_services.recommend_for_customer(customer_id="never-seen")
    after = recommender_services.recommend_for_customer(customer_id=ANNA_ID)
    assert [r.product.pk for r in after.items] == [r.product.pk for r in stranger.items]
    assert before.items and [r.product.pk for r in before.items] != [r.product.pk for r in stranger.items]


def test_work_in_flight_for_the_customer_is_stopped_so_no_worker_writes_old_text_back(world, officer, fake_models):
    first = world.anna_tickets[0]
    Ticket.objects.filter(pk=first.pk).update(triage_status=TriageStatus.PENDING)
    pending = ReplySuggestion.objects.create(ticket=first)
    claimed = support_services.suggestions_claim(limit=1)  # a worker has it ...
    assert [s.pk for s in claimed] == [pending.pk]

    summary = erase_anna(officer)
    support_services.suggestions_generate(claimed)  # ... and finishes after the erasure
    support_services.ticket_triage(first.pk)

    pending.refresh_from_db()
    first.refresh_from_db()
    assert pending.status == "failed" and pending.text == "" and pending.redacted_text == ""
    assert first.triage_status == "failed" and first.embedding is None and first.subject == "[erased]"
    # Both of her tickets were still waiting for triage (built without it): neither will be triaged now.
    assert summary.counts["suggestions_stopped"] == 1 and summary.counts["triage_stopped"] == 2


# --- Erasure: what stays ----------------------------------------------------------------------------------

def test_aggregates_are_the_same_before_and_after(world, officer):
    before = statistics()

    erase_anna(officer)

    assert statistics() == before


def test_a_version_trained_after_the_erasure_learns_the_same_item_statistics(world, officer):
    before = Artifact.load(artifact_path(train(activate=False).artifact))

    erase_anna(officer)
    after = Artifact.load(artifact_path(train(activate=False).artifact))

    assert after.item_ids.tolist() == before.item_ids.tolist()
    assert np.array_equal(after.popularity, before.popularity)
    assert (after.together != before.together).nnz == 0 and (after.similarity != before.similarity).nnz == 0
    assert sorted(after.customer_ids.tolist()) == sorted(
        pseudonym("customer", ANNA_ID) if c == ANNA_ID else c for c in before.customer_ids.tolist())


def test_intent_training_skips_erased_labels_and_the_summary_asks_for_a_new_model(world, officer):
    Adapter.objects.create(purpose="support.intent", version=1, status="ready", path="x")

    summary = erase_anna(officer)

    labels = [item for item in intent_labels() if item.source != "confirmed"]
    assert len(labels) == 1  # Bob's label only
    assert IntentLabel.objects.count() == 3
    assert summary.warnings and "train a new version" in summary.warnings[0]


# --- Erasure: the record ----------------------------------------------------------------------------------

def test_an_erasure_is_audited_and_logged_without_the_identifiers(world, officer, caplog):
    with caplog.at_level(logging.INFO, logger="privacy"):
        summary = erase_anna(officer)

    record = CustomerDataRequest.objects.get()
    assert summary.request == record and record.kind == "erase" and record.actor == officer
    assert record.email_hash == identifier_hash("email", ANNA_EMAIL)
    assert record.customer_id_hash == identifier_hash("customer", ANNA_ID)
    assert record.reason == "Erasure request by [EMAIL] ([NAME]) on 3 March"
    assert record.tickets == [t.public_id for t in world.anna_tickets]
    assert record.counts == summary.counts
    assert {key: record.counts[key] for key in ("tickets", "messages", "suggestions", "intent_labels", "events",
                                                "sessions", "orders")} == {
        "tickets": 2, "messages": 6, "suggestions": 3, "intent_labels": 2, "events": 7, "sessions": 2, "orders": 2}
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"customer data erased (request #{record.pk}" in logged
    assert ANNA_EMAIL not in logged and ANNA_ID not in logged and ANNA_NAME not in logged


def test_erasing_the_same_customer_again_finds_nothing(world, officer):
    erase_anna(officer)

    with pytest.raises(services.NothingMatches):
        erase_anna(officer)

    assert CustomerDataRequest.objects.count() == 1


def test_an_erasure_by_customer_id_alone_covers_its_tickets_and_events(world, officer):
    erase_anna(officer, email=None)

    first, second = Ticket.objects.filter(pk__in=[t.pk for t in world.anna_tickets]).order_by("pk")
    assert first.subject == "[erased]" and second.subject == "Refund for the umbrella"  # no id on the second
    assert not Event.objects.filter(customer_id=ANNA_ID).exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"reason": "  "}, "a reason is required"),
    ({"email": None, "customer_id": None}, "give the customer's email address, customer id, or both"),
    ({"email": "nobody@example.com", "customer_id": None}, "no ticket or shopper event matches"),
])
def test_an_erasure_that_is_refused_changes_nothing(world, officer, kwargs, message):
    before = database_dump()
    kwargs = {"email": ANNA_EMAIL, "customer_id": ANNA_ID, "reason": REASON} | kwargs

    with pytest.raises(services.PrivacyError, match=message):
        services.customer_data_erase(actor=officer, **kwargs)

    assert database_dump() == before


def test_an_erasure_waits_for_a_recommender_training_in_progress(world, officer):
    ModelVersion.objects.create(name="nightly", status=VersionStatus.TRAINING)
    before = database_dump()

    with pytest.raises(services.PrivacyError, match="being trained"):
        erase_anna(officer)

    assert database_dump() == before


def test_a_failure_midway_rolls_everything_back_and_leaves_no_new_artifact(world, officer, monkeypatch):
    version = train()
    files = set(artifact_path("").iterdir())
    before = database_dump()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_scrub_admin_log", boom)
    with pytest.raises(RuntimeError):
        erase_anna(officer)

    assert database_dump() == before
    assert set(artifact_path("").iterdir()) == files
    version.refresh_from_db()
    assert artifact_path(version.artifact).exists()


def test_a_ticket_without_other_data_is_erased_on_its_own(db, officer):
    ticket, _ = make_ticket(email="solo@example.com", name="Solo Person", body=f"Call {ANNA_PHONE}")

    summary = services.customer_data_erase(email="SOLO@example.com", actor=officer, reason="asked")

    ticket.refresh_from_db()
    assert ticket.customer_email == pseudonym("email", "solo@example.com")
    assert summary.counts["tickets"] == 1 and summary.counts["events"] == 0
