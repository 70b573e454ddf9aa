"""Answer a customer data request: export everything stored about a customer, or erase it.

    manage.py customer_data export --email x@example.com [--customer-id C] [--output file.json] [--reason TEXT]
                                   [--by USER]
    manage.py customer_data erase  --email x@example.com [--customer-id C] --reason TEXT [--yes] [--by USER]

Both are audited (``privacy.CustomerDataRequest``). Erasure shows what it will
touch and asks for confirmation unless ``--yes``. ``--by`` records who asked (a
user with the matching permission); without it the row says "management command".
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from privacy import selectors, services
from privacy.models import CustomerDataRequest
from privacy.pseudonyms import Customer, InvalidIdentifier


class Command(BaseCommand):
    help = "Export (JSON) or erase a customer's data across tickets, messages, suggestions and shopper events."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="operation", required=True, metavar="{export,erase}")
        for name, text in (("export", "write everything stored about the customer as JSON"),
                           ("erase", "erase the customer's personal data, keeping aggregate statistics")):
            op = sub.add_parser(name, help=text, description=text)
            op.add_argument("--email", default="", help="the customer's email address (tickets)")
            op.add_argument("--customer-id", default="", help="the shop's customer id (tickets and shopper events)")
            op.add_argument("--by", default="", metavar="USERNAME",
                            help="who asked for it (needs the permission); recorded in the audit row")
            if name == "export":
                op.add_argument("--output", default="", help="write the JSON to this file instead of standard output")
                op.add_argument("--reason", default="", help="why, for the audit trail")
            else:
                op.add_argument("--reason", required=True, help="why, for the audit trail (required)")
                op.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, operation, email="", customer_id="", by="", **options):
        if not (email or "").strip() and not (customer_id or "").strip():
            raise CommandError("give --email, --customer-id or both")
        actor = self._actor(by)
        if operation == "export":
            return self._export(email, customer_id, actor, options)
        return self._erase(email, customer_id, actor, options)

    def _actor(self, username: str):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return user

    def _export(self, email, customer_id, actor, options):
        output = options["output"]
        if output and Path(output).is_dir():
            raise CommandError(f"--output {output}: is a folder; give a file name")
        try:
            document = services.customer_data_export(email=email, customer_id=customer_id, actor=actor,
                                                     reason=options["reason"], via=CustomerDataRequest.Via.COMMAND)
        except services.PrivacyError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(document, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder) + "\n"
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            # Personal data: readable by the owner only.
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise CommandError(f"--output {output}: {exc.strerror}") from exc
        counts = document["counts"]
        self.stderr.write(self.style.SUCCESS(
            f"wrote {output}: {counts['tickets']} ticket(s), {counts['messages']} message(s), "
            f"{counts['suggested_replies']} suggested repl(ies), {counts['events']} shopper event(s) "
            f"(audit request #{document['request']['audit_id']})"))

    def _erase(self, email, customer_id, actor, options):
        try:
            customer = Customer.of(email=email, customer_id=customer_id)
        except InvalidIdentifier as exc:
            raise CommandError(str(exc)) from exc
        if not options["reason"].strip():
            raise CommandError("--reason is required (for example the customer's request and its date)")
        if actor is not None and not actor.has_perm(services.ERASE_PERMISSION):
            raise CommandError(f"{actor} may not erase customer data")  # before the plan shows their data
        plan = selectors.customer_data_plan(customer)
        if selectors.plan_is_empty(plan):
            raise CommandError("no ticket or shopper event matches; nothing to erase")
        self.stdout.write(f"Erasing the personal data of {customer.describe()}:")
        self.stdout.write(
            f"  {plan['tickets']} ticket(s) {', '.join(plan['ticket_ids'])}\n"
            f"  {plan['messages']} message(s), {plan['suggestions']} suggested repl(ies), "
            f"{plan['ticket_events']} history entr(ies), {plan['intent_labels']} intent label(s)\n"
            f"  {plan['events']} shopper event(s) in {plan['sessions']} session(s)")
        if plan["other_customer_ids"]:
            self.stdout.write(self.style.WARNING(
                "  the tickets also name customer id(s) " + ", ".join(plan["other_customer_ids"])
                + ": pseudonymised on the tickets, but their shopper events are kept unless you erase them too"))
        if not options["yes"]:
            answer = input("This cannot be undone. Type 'yes' to erase: ")
            if answer.strip().lower() != "yes":
                raise CommandError("not erased")
        try:
            summary = services.customer_data_erase(email=email, customer_id=customer_id, actor=actor,
                                                   reason=options["reason"], via=CustomerDataRequest.Via.COMMAND)
        except services.PrivacyError as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in summary.counts.items())
        self.stdout.write(self.style.SUCCESS(f"erased (audit request #{summary.request.pk}): {counts}"))
        for warning in summary.warnings:
            self.stdout.write(self.style.WARNING(warning))
