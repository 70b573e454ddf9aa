"""Inbound email against a real IMAP server (dovecot, started by the tests): tickets, threads, skips, exactly once."""

from __future__ import annotations

import threading
import time
from email.message import EmailMessage
from email.utils import make_msgid
from io import StringIO

import pytest
from django.core import mail as django_mail
from django.core.management import CommandError, call_command
from django.db import connection

from support import services, tasks
from support.imap import DONE_KEYWORD, Mailbox, MailboxError
from support.models import Channel, InboundEmail, Message, Ticket, TicketEvent, TicketStatus, TriageStatus
from tests.support.dovecot import DOVECOT, MISSING, Dovecot

pytestmark = pytest.mark.skipif(DOVECOT is None, reason=MISSING)

DONE = {"\\Seen", DONE_KEYWORD}


@pytest.fixture(scope="module")
def dovecot():
    server = Dovecot()
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot, settings):
    """An empty mailbox of its own, and the settings that point the poll at it."""
    account = dovecot.new_account()
    for name, value in account.settings().items():
        setattr(settings, name, value)
    return account


def email(*, sender="Ann Smith <ann@example.com>", subject="Where is my parcel?", text="Hi, my parcel is late.",
          message_id: str | None = None, headers: dict | None = None, html: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "help@shop.example"
    message["Subject"] = subject
    message["Date"] = "Mon, 07 Dec 2026 09:00:00 +0000"
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    for name, value in (headers or {}).items():
        message[name] = value
    if html is None:
        message.set_content(text)
    else:
        message.set_content(html, subtype="html")
    return bytes(message)


def test_inbound_email_is_off_until_a_host_is_set(settings):
    settings.SUPPORT_IMAP_HOST = ""

    assert services.mailbox_poll() == {"enabled": False}
    with pytest.raises(CommandError, match="inbound email is off"):
        call_command("poll_mailbox")


def test_an_email_becomes_a_redacted_email_ticket_queued_for_triage_and_is_marked_done(
        mailbox, db, django_capture_on_commit_callbacks):
    uid = mailbox.deliver(email(text="Hi, my parcel is late. Call me on +44 7700 900123.",
                                message_id="<first@example.com>"))

    with django_capture_on_commit_callbacks() as callbacks:
        counts = services.mailbox_poll()

    assert counts == {"enabled": True, "ticket": 1}
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.customer_email, ticket.customer_name, ticket.subject) == (
        Channel.EMAIL, "ann@example.com", "Ann Smith", "Where is my parcel?")
    message = ticket.messages.get()
    assert message.body == "Hi, my parcel is late. Call me on +44 7700 900123."
    assert "900123" not in message.redacted_body and "[PHONE_1]" in message.redacted_body
    assert len(callbacks) == 1  # the triage task, as for a ticket from the API
    row = InboundEmail.objects.get()
    assert (row.message_key, row.outcome, row.ticket, row.customer_message, row.uid) == (
        "first@example.com", InboundEmail.Outcome.TICKET, ticket, message, uid)
    assert mailbox.flags()[uid] >= DONE

    assert services.mailbox_poll() == {"enabled": True}  # nothing left to do
    assert Ticket.objects.count() == 1


def test_a_reply_threads_into_its_ticket_by_in_reply_to_and_by_our_replys_message_id(mailbox, db, agent):
    mailbox.deliver(email(message_id="<first@example.com>"))
    services.mailbox_poll()
    ticket = Ticket.objects.get()

    mailbox.deliver(email(subject="Re: Where is my parcel?", message_id="<second@example.com>",
                          headers={"In-Reply-To": "<first@example.com>", "References": "<first@example.com>"},
                          text="It is order 1234.\n\nOn Mon, 7 Dec 2026, Ann wrote:\n> Hi, my parcel is late.\n"))
    assert services.mailbox_poll() == {"enabled": True, "reply": 1}

    services.ticket_reply(ticket=ticket, actor=agent, body="It left our warehouse today.")
    [sent] = django_mail.outbox
    our_id = sent.extra_headers["Message-ID"]
    assert sent.extra_headers["In-Reply-To"] == "<second@example.com>"  # the customer's mail program threads it too
    mailbox.deliver(email(subject=f"Re: {sent.subject}", message_id="<third@example.com>",
                          headers={"In-Reply-To": our_id}, text="Thanks!"))
    assert services.mailbox_poll() == {"enabled": True, "reply": 1}

    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN  # waiting on the customer, who answered
    customer = list(ticket.messages.filter(author_kind=Message.Author.CUSTOMER).values_list("body", flat=True))
    assert customer == ["Hi, my parcel is late.", "It is order 1234.", "Thanks!"]  # quoted history left out
    assert list(InboundEmail.objects.order_by("pk").values_list("outcome", flat=True)) == ["ticket", "reply", "reply"]


def test_a_reply_to_a_closed_ticket_opens_a_new_one(mailbox, db, agent):
    mailbox.deliver(email(message_id="<first@example.com>"))
    services.mailbox_poll()
    first = Ticket.objects.get()
    services.ticket_transition(ticket=first, to_status=TicketStatus.CLOSED, actor=agent)

    mailbox.deliver(email(message_id="<again@example.com>", headers={"In-Reply-To": "<first@example.com>"},
                          text="It happened again."))
    assert services.mailbox_poll() == {"enabled": True, "ticket": 1}

    second = Ticket.objects.exclude(pk=first.pk).get()
    assert second.messages.get().body == "It happened again."
    assert first.messages.count() == 1
    assert f"a reply to {first.public_id}, which is closed" in InboundEmail.objects.get(ticket=second).reason


DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: help@shop.example
Subject: Undelivered Mail Returned to Sender
Date: Mon, 07 Dec 2026 09:00:00 +0000
Message-ID: <bounce-1@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Final-Recipient: rfc822; gone@example.com
Action: failed
Status: 5.1.1

--BOUNDARY--
"""


def test_bounces_and_auto_replies_are_kept_as_skipped_and_never_become_tickets(mailbox, db):
    uids = [
        mailbox.deliver(DSN),
        mailbox.deliver(email(subject="Out of office", headers={"Auto-Submitted": "auto-replied"})),
        mailbox.deliver(email(subject="Automatic reply", headers={"X-Autoreply": "yes"})),
        mailbox.deliver(email(subject="Newsletter", headers={"Precedence": "bulk"})),
        mailbox.deliver(email(sender="Our shop <shop@localhost>", subject="Re: your ticket")),  # our own mail: a loop
    ]

    assert services.mailbox_poll() == {"enabled": True, "skipped": 5}

    assert Ticket.objects.count() == 0 and django_mail.outbox == []
    reasons = list(InboundEmail.objects.order_by("uid").values_list("outcome", "reason"))
    assert reasons == [
        ("skipped", "bounce: a delivery status report"),
        ("skipped", "auto-reply: Auto-Submitted: auto-replied"),
        ("skipped", "auto-reply: x-autoreply header"),
        ("skipped", "auto-reply: Precedence: bulk"),
        ("skipped", "loop: sent from the shop's own address"),
    ]
    flags = mailbox.flags()
    assert all(flags[uid] >= DONE for uid in uids)


BROKEN = (b"From: Bob <bob@example.com>\n"
          b"Subject: =?utf-8?B?Q2hhcmdlZCB0d2ljZSDwn5Ch?=\n"  # "Charged twice" and a blowfish, base64 encoded-word
          b"MIME-Version: 1.0\n"
          b"Content-Type: multipart/alternative; boundary=\"XYZ\"\n\n"
          b"--XYZ\n"
          b"Content-Type: text/plain; charset=x-no-such-charset\n"
          b"Content-Transfer-Encoding: quoted-printable\n\n"
          b"My card was charged tw=\nice for one order.\n")  # no closing boundary, no Message-ID, no Date


def test_a_malformed_email_becomes_a_ticket_with_what_could_be_read_once(mailbox, db):
    uid = mailbox.deliver(BROKEN)

    assert services.mailbox_poll() == {"enabled": True, "ticket": 1}

    ticket = Ticket.objects.get()
    assert ticket.subject == "Charged twice \U0001f421"
    assert ticket.messages.get().body == "My card was charged twice for one order."
    row = InboundEmail.objects.get()
    assert row.message_key.startswith("sha256:") and row.reason.startswith("malformed: ")
    assert "StartBoundaryNotFoundDefect" in row.defects or "CloseBoundaryNotFoundDefect" in row.defects
    assert mailbox.flags()[uid] >= DONE
    # Without a Message-ID the email's hash is its key: taken in again, it is the same email.
    assert services.inbound_email_receive(raw=BROKEN) == (row, False)
    assert Ticket.objects.count() == 1


def test_an_email_without_a_usable_sender_is_copied_to_quarantine_with_the_reason(mailbox, db):
    uid = mailbox.deliver(email(sender="undisclosed-recipients:;", subject="Hello"))

    assert services.mailbox_poll() == {"enabled": True, "quarantined": 1}

    assert Ticket.objects.count() == 0
    row = InboundEmail.objects.get()
    assert row.outcome == InboundEmail.Outcome.QUARANTINED and row.reason.startswith("no usable sender address")
    assert mailbox.flags()[uid] >= DONE  # the original stays in the inbox, marked done
    assert len(mailbox.flags("Quarantine")) == 1


def test_an_oversized_email_becomes_a_ticket_from_its_start_with_a_note(mailbox, db, settings):
    settings.SUPPORT_IMAP_MAX_BYTES = 20_000
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "ann@example.com", "Photo of the damage", "<big@x>"
    message.set_content("The vase arrived broken, photo attached.")
    message.add_attachment(b"\x89PNG" + bytes(range(256)) * 400, maintype="image", subtype="png",
                           filename="damage.png")
    uid = mailbox.deliver(bytes(message))

    assert services.mailbox_poll() == {"enabled": True, "ticket": 1}

    customer, note = Ticket.objects.get().messages.order_by("pk")
    assert customer.body.startswith("The vase arrived broken, photo attached.\n\n[Support desk note: the email was ")
    assert "over the 20,000-byte limit" in customer.body
    # What was read of the file may be partial: not stored, and named in an internal note.
    assert not customer.attachments.exists() and note.author_kind == Message.Author.NOTE
    assert note.body.startswith("Attachments not stored: damage.png: the email was cut at the size limit.")
    row = InboundEmail.objects.get()
    assert row.truncated and row.size > 100_000 and row.reason.startswith("oversized: ")
    assert row.reason.endswith("; 1 attachment(s) not stored")
    assert mailbox.flags()[uid] >= DONE


HTML_ONLY = (b"From: Ann <ann@example.com>\r\n"
             b"Subject: =?iso-8859-1?q?Besch=E4digt?=\r\n"
             b"Message-ID: <html-only@example.com>\r\n"
             b"MIME-Version: 1.0\r\n"
             b"Content-Type: text/html; charset=iso-8859-1\r\n"
             b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
             b"<html><style>p {color: red}</style><body><p>Gr=FC=DFe aus M&uuml;nchen,</p>=\r\n"
             b"<p>the <b>blue</b> mug is chipped.<br>Order 1234</p><script>alert(1)</script></body></html>\r\n")


def test_html_only_mail_in_quoted_printable_latin_1_becomes_plain_text(mailbox, db):
    mailbox.deliver(HTML_ONLY)

    services.mailbox_poll()

    ticket = Ticket.objects.get()
    assert ticket.subject == "Besch\u00e4digt"
    assert ticket.messages.get().body == "Gr\u00fc\u00dfe aus M\u00fcnchen,\nthe blue mug is chipped.\nOrder 1234"


def test_two_different_emails_with_one_message_id_are_both_kept(mailbox, db):
    mailbox.deliver(email(message_id="<same@example.com>", text="First question."))
    mailbox.deliver(email(message_id="<same@example.com>", text="Another question."))
    # the same email delivered twice (another Received chain) is one email
    mailbox.deliver(b"Received: from relay2\n" + email(message_id="<same@example.com>", text="First question."))

    assert services.mailbox_poll() == {"enabled": True, "ticket": 2, "already_taken_in": 1}

    assert sorted(m.body for m in Message.objects.all()) == ["Another question.", "First question."]


def test_a_crash_between_commit_and_marking_done_makes_no_second_ticket(mailbox, db, monkeypatch):
    uid = mailbox.deliver(email(message_id="<crash@example.com>"))

    def crash(self, uid):
        raise MailboxError("connection lost")

    monkeypatch.setattr(Mailbox, "mark_done", crash)
    with pytest.raises(MailboxError):
        services.mailbox_poll()
    assert Ticket.objects.count() == 1 and DONE_KEYWORD not in mailbox.flags()[uid]

    monkeypatch.undo()
    assert services.mailbox_poll() == {"enabled": True, "already_taken_in": 1}
    assert Ticket.objects.count() == 1 and mailbox.flags()[uid] >= DONE


def test_an_unreachable_server_is_reported_and_changes_nothing(settings, db):
    settings.SUPPORT_IMAP_HOST, settings.SUPPORT_IMAP_PORT, settings.SUPPORT_IMAP_SSL = "127.0.0.1", 1, False

    assert tasks.poll_mailbox()["error"].startswith("127.0.0.1:1 mailbox 'INBOX'")
    with pytest.raises(CommandError, match="the mailbox could not be read"):
        call_command("poll_mailbox")
    assert InboundEmail.objects.count() == 0


def test_a_wrong_password_is_reported(mailbox, db, settings):
    settings.SUPPORT_IMAP_PASSWORD = "wrong"

    with pytest.raises(MailboxError):
        services.mailbox_poll()


@pytest.mark.worker
def test_an_imap_message_becomes_a_ticket_exactly_once_across_a_worker_restart(dovecot, start_worker, settings):
    """The worker is SIGKILLed (its whole process group) after the ticket commits and before the email is marked
    done; a new worker polls again: the email is marked done and there is still one ticket."""
    account = dovecot.new_account()
    uid = account.deliver(email(message_id="<restart@example.com>", text="Where is my parcel? It is late."))
    env = {**account.env(), "ECOMCMS_EMBEDDING_BACKEND": "ecomcms.inference.fake.FakeEmbedder",
           "ECOMCMS_TEXT_BACKEND": "ecomcms.inference.fake.FakeGenerator"}

    doomed = start_worker("default", app="tests.support.imap_crash_app", **env)
    tasks.poll_mailbox.delay()
    deadline = time.monotonic() + 180
    while doomed.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert doomed.process.returncode == -9, doomed.log()[-3000:]
    assert Ticket.objects.count() == 1  # committed before the crash ...
    assert DONE_KEYWORD not in account.flags()[uid]  # ... and not marked done

    worker = start_worker("default", **env)
    tasks.poll_mailbox.delay()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not account.flags()[uid] >= DONE:
        time.sleep(0.5)

    log = worker.log()[-3000:]
    assert account.flags()[uid] >= DONE, log
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1 and Message.objects.count() == 1, log
    ticket = Ticket.objects.get()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and Ticket.objects.get().triage_status != TriageStatus.DONE:
        services.support_sweep()  # what beat runs: resends a triage task lost with the killed worker
        time.sleep(1)
    assert Ticket.objects.get().triage_status == TriageStatus.DONE, log
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TRIAGED).count() == 1


def test_two_polls_racing_for_one_email_make_one_ticket(mailbox, transactional_db, monkeypatch):
    """Two pollers (two beat ticks on two workers) read the same email at the same moment: the unique key
    serialises them, one makes the ticket and the other only marks the email done."""
    uid = mailbox.deliver(email(message_id="<race@example.com>"))
    both_fetched = threading.Barrier(2, timeout=30)
    fetch = Mailbox.fetch

    def fetch_together(self, uid, **kwargs):
        fetched = fetch(self, uid, **kwargs)
        both_fetched.wait()  # neither has taken it in yet
        return fetched

    monkeypatch.setattr(Mailbox, "fetch", fetch_together)
    results, errors = [], []

    def poll():
        try:
            results.append(services.mailbox_poll())
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    outcomes = sorted(outcome for result in results for outcome in result if outcome != "enabled")
    assert outcomes == ["already_taken_in", "ticket"]
    assert Ticket.objects.count() == 1 and Message.objects.count() == 1 and InboundEmail.objects.count() == 1
    assert mailbox.flags()[uid] >= DONE


def test_the_mailbox_is_read_over_tls_and_starttls_with_a_verified_certificate(mailbox, dovecot, db, settings,
                                                                               monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert))  # the test server's certificate is the trusted one
    mailbox.deliver(email(message_id="<tls@example.com>"))
    mailbox.deliver(email(message_id="<starttls@example.com>"))

    settings.SUPPORT_IMAP_SSL, settings.SUPPORT_IMAP_PORT = True, dovecot.tls_port  # the default: TLS at once
    assert services.mailbox_poll(limit=1) == {"enabled": True, "ticket": 1}
    settings.SUPPORT_IMAP_SSL, settings.SUPPORT_IMAP_STARTTLS, settings.SUPPORT_IMAP_PORT = False, True, dovecot.port
    assert services.mailbox_poll() == {"enabled": True, "ticket": 1}

    assert Ticket.objects.count() == 2
    logins = [line for line in dovecot.log().splitlines() if f"Login: user=<{mailbox.user}>" in line]
    tls = [", TLS" in line for line in logins]  # dovecot names the connection's protection
    assert tls[-2:] == [True, True] and tls.count(False) == 2  # the two deliveries were plain


def test_a_server_whose_certificate_is_not_trusted_is_refused(mailbox, dovecot, db, settings, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    settings.SUPPORT_IMAP_SSL, settings.SUPPORT_IMAP_PORT = True, dovecot.tls_port
    mailbox.deliver(email())

    with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
        services.mailbox_poll()
    assert InboundEmail.objects.count() == 0


def test_the_command_takes_in_the_waiting_emails_and_says_what_they_became(mailbox, db):
    mailbox.deliver(email())
    mailbox.deliver(email(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    out = StringIO()

    call_command("poll_mailbox", stdout=out)

    assert out.getvalue().strip() == "1 skipped, 1 ticket"
    with pytest.raises(CommandError, match="--limit must be at least 1"):
        call_command("poll_mailbox", limit=0)


# --- attachments -----------------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8  # binary bytes survive base64 both ways
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300


def email_with_files(files: list[tuple[str, str, bytes]], *, message_id: str, text="Photos of the damage attached.",
                     sender="Ann Smith <ann@example.com>") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "help@shop.example"
    message["Subject"] = "Broken on arrival"
    message["Date"] = "Mon, 07 Dec 2026 09:00:00 +0000"
    message["Message-ID"] = message_id
    message.set_content(text)
    for filename, content_type, data in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)


def test_allowed_attachments_are_stored_with_the_message_others_named_in_a_note_and_the_email_kept(
        mailbox, db, settings):
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 5_000
    settings.SUPPORT_ATTACHMENT_MAX_TOTAL_BYTES = 2_200
    uid = mailbox.deliver(email_with_files([
        ("receipt.pdf", "application/pdf", PDF),  # 2,057 bytes: stored
        ("../../photo.png", "image/png", PNG),  # allowed (308 bytes), but past the 2,200 of one email
        ("invoice.exe", "application/x-msdownload", b"MZ" + b"\x00" * 50),  # a type not accepted
        ("scan.pdf", "application/pdf", b"%PDF" + b"x" * 6_000),  # over the 5,000 bytes per file
    ], message_id="<files@example.com>"))

    counts = services.mailbox_poll()

    assert counts == {"enabled": True, "ticket": 1}
    ticket = Ticket.objects.get()
    customer, note = ticket.messages.order_by("pk")
    assert customer.body == "Photos of the damage attached."
    assert [(a.filename, a.content_type, a.size, bytes(a.data)) for a in customer.attachments.all()] == [
        ("receipt.pdf", "application/pdf", len(PDF), PDF)]
    assert note.author_kind == Message.Author.NOTE and note.body == (
        "Attachments not stored: photo.png: over the 2,200-byte limit for the files of one email; "
        "invoice.exe: type application/x-msdownload is not accepted; "
        "scan.pdf: 6,004 bytes, over the 5,000-byte limit per file. The whole email stays in the support mailbox.")
    row = InboundEmail.objects.get()
    assert (row.outcome, row.reason) == ("ticket", "3 attachment(s) not stored")
    assert mailbox.flags()[uid] >= DONE


def test_a_reply_keeps_its_files_and_staff_download_them_from_the_ticket_others_may_not(
        mailbox, db, client, agent, outsider):
    from django.urls import reverse

    mailbox.deliver(email(message_id="<start@example.com>"))
    services.mailbox_poll()
    ticket = Ticket.objects.get()
    reply = email_with_files([("label.png", "image/png", PNG)], message_id="<reply@example.com>",
                             text="Here is the label.")
    mailbox.deliver(reply.replace(b"Subject: Broken on arrival",
                                  b"Subject: Re: Where is my parcel?\nIn-Reply-To: <start@example.com>"))

    assert services.mailbox_poll() == {"enabled": True, "reply": 1}
    attachment = ticket.attachments.get()
    assert attachment.message.body == "Here is the label."
    url = reverse("admin:ecomcms_support_ticket_attachment", args=[ticket.pk, attachment.pk])

    client.force_login(agent)
    page = client.get(reverse("admin:ecomcms_support_ticket_change", args=[ticket.pk])).content.decode()
    assert f'href="{url}"' in page and "label.png" in page
    response = client.get(url)
    assert response.status_code == 200 and response.content == PNG
    assert response["Content-Type"] == "application/octet-stream"  # never rendered by the browser
    assert response["Content-Disposition"] == 'attachment; filename="label.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    other, _ = services.ticket_create(email="bob@example.com", name="Bob", subject="Hi", body="Hello")
    wrong_ticket = reverse("admin:ecomcms_support_ticket_attachment", args=[other.pk, attachment.pk])
    assert client.get(wrong_ticket).status_code == 404

    client.force_login(outsider)  # staff, but not support
    assert client.get(url).status_code == 403


def test_the_privacy_export_holds_the_files_and_erasure_deletes_them(mailbox, db):
    import base64

    from privacy import services as privacy

    mailbox.deliver(email_with_files([("receipt.pdf", "application/pdf", PDF)], message_id="<export@example.com>"))
    services.mailbox_poll()

    document = privacy.customer_data_export(email="ann@example.com", actor=None)

    files = document["tickets"][0]["messages"][0]["attachments"]
    assert [(f["filename"], f["size"], base64.b64decode(f["content_base64"])) for f in files] == [
        ("receipt.pdf", len(PDF), PDF)]
    assert document["counts"]["attachments"] == 1

    summary = privacy.customer_data_erase(email="ann@example.com", actor=None, reason="asked")

    assert summary.counts["attachments"] == 1
    assert not Ticket.objects.get().attachments.exists() and Message.objects.get().body == "[erased]"
