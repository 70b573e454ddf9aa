"""Take in the support mailbox's new emails now (what Celery beat runs every SUPPORT_IMAP_POLL_SECONDS).

    manage.py poll_mailbox [--limit N]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from support import services


class Command(BaseCommand):
    help = "Turn the support mailbox's new emails into tickets and replies (settings: SUPPORT_IMAP_*)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="at most this many emails (SUPPORT_IMAP_BATCH)")

    def handle(self, *args, limit=None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        try:
            counts = services.mailbox_poll(limit=limit)
        except services.MailboxError as exc:
            raise CommandError(f"the mailbox could not be read: {exc}") from exc
        if not counts.pop("enabled"):
            raise CommandError("inbound email is off: set SUPPORT_IMAP_HOST, SUPPORT_IMAP_USER and "
                               "SUPPORT_IMAP_PASSWORD (docs/support.md)")
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no new email"
        self.stdout.write(self.style.SUCCESS(summary))
