"""Load tickets or training labels from a labelled file: `manage.py import_tickets PATH --format ...`.

    manage.py import_tickets PATH --format csv|bitext|banking77 [--as tickets|labels]
        [--text-column text] [--label-column label] [--subject-column C] [--email-column C]
        [--name-column C] [--order-column C] [--default-email ADDRESS] [--split train|test|both]
        [--no-triage] [--limit N]

As tickets, each row becomes a ticket (redacted and triaged like one from the API);
a label in the file is kept as a person's label for training. As labels, rows only
feed ``train_intents``. Bad rows are reported with their line number and reason; the
good rows import.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from support import importers
from support.models import Channel

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import tickets, or intent labels for training, from a CSV, Bitext or BANKING77 file."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a CSV file, or the BANKING77 folder")
        parser.add_argument("--format", required=True, choices=importers.FORMATS)
        parser.add_argument("--as", dest="mode", choices=["tickets", "labels"], default="tickets")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="label", help="csv: empty for no label column")
        parser.add_argument("--subject-column", default="")
        parser.add_argument("--email-column", default="")
        parser.add_argument("--name-column", default="")
        parser.add_argument("--order-column", default="")
        parser.add_argument("--default-email", default="", help="for rows without an email (datasets have none)")
        parser.add_argument("--channel", choices=Channel.values, default=Channel.EMAIL)
        parser.add_argument("--split", choices=["train", "test", "both"], default="train", help="banking77 only")
        parser.add_argument("--no-triage", action="store_true", help="tickets only: do not queue triage")
        parser.add_argument("--limit", type=int, help="import at most this many rows")

    def handle(self, *args, path, format, mode, limit, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        if format in importers.COLUMNS:
            text_column, label_column = importers.COLUMNS[format]
        else:
            text_column, label_column = options["text_column"], options["label_column"]
        category_column = "category" if format == "bitext" else ""
        rows = []
        try:
            for file in importers.files_for(path, format, options["split"]):
                if not file.is_file():
                    raise CommandError(f"{file}: no such file")
                rows.extend(importers.read_rows(
                    file, text_column=text_column, label_column=label_column, subject_column=options["subject_column"],
                    email_column=options["email_column"], name_column=options["name_column"],
                    order_column=options["order_column"], category_column=category_column))
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = list(islice(rows, limit)) if limit else rows
        if mode == "labels" and not label_column:
            raise CommandError("--as labels needs a label column")
        bar = tqdm(total=len(rows), desc=Path(path).name, file=getattr(self.stderr, "_out", self.stderr), unit="row")
        try:
            result = importers.tickets_import(
                rows, mode=mode, default_email=options["default_email"], channel=options["channel"],
                triage=not options["no_triage"], progress=lambda n: bar.update(n - bar.n))
        finally:
            bar.close()
        noun = "tickets" if mode == "tickets" else "labels"
        summary = f"{path}: {result.imported} {noun} imported, {len(result.errors)} rows refused."
        self.stdout.write(self.style.SUCCESS(summary) if result.imported else summary)
        for line, reason in result.errors[:SHOWN_ERRORS]:
            self.stdout.write(self.style.ERROR(f"  line {line}: {reason}"))
        if len(result.errors) > SHOWN_ERRORS:
            self.stdout.write(f"  ... and {len(result.errors) - SHOWN_ERRORS} more")
        if mode == "labels" and result.imported:
            self.stdout.write("Run `manage.py train_intents` to train a classifier on them.")
        if result.imported == 0:
            raise CommandError(f"{path}: nothing imported")
