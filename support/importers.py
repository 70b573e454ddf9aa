"""Reading labelled ticket files (CSV, Bitext, BANKING77) row by row, with line numbers for every error.

``tickets_import`` turns rows into tickets (through ``services.ticket_create``,
so they are redacted and triaged like any other) or into training labels.
A bad row is reported with its line and reason; the good rows import.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from support import services
from support.models import Channel

FORMATS = ("csv", "bitext", "banking77")
#: (text column, label column, extra columns) per format; csv takes them from the arguments.
COLUMNS = {"bitext": ("instruction", "intent"), "banking77": ("text", "category")}
LABEL_BATCH = 1000


@dataclass
class Row:
    line: int
    text: str
    label: str = ""
    subject: str = ""
    email: str = ""
    name: str = ""
    order_reference: str = ""
    category: str = ""


@dataclass
class ImportResult:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)


def files_for(path: str | Path, fmt: str, split: str) -> list[Path]:
    """The files to read: banking77 is a folder with train.csv and test.csv."""
    path = Path(path)
    if fmt == "banking77":
        if path.is_file():
            return [path]
        names = {"train": ["train.csv"], "test": ["test.csv"], "both": ["train.csv", "test.csv"]}[split]
        return [path / name for name in names]
    return [path]


def read_rows(path: Path, *, text_column: str, label_column: str, subject_column: str = "", email_column: str = "",
              name_column: str = "", order_column: str = "", category_column: str = "") -> Iterator[Row]:
    """Rows of a UTF-8 CSV with a header; ``line`` is the line the row starts on (quoted cells span lines)."""
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or [])
        missing = [c for c in (text_column, label_column) if c and c not in columns]
        if missing:
            raise ValueError(f"{path}: no column(s) {', '.join(missing)}; the header has {', '.join(reader.fieldnames or [])}")
        line = reader.line_num + 1
        for record in reader:
            def cell(name):
                return (record.get(name) or "").strip() if name and name in columns else ""
            yield Row(line=line, text=cell(text_column), label=cell(label_column), subject=cell(subject_column),
                      email=cell(email_column), name=cell(name_column), order_reference=cell(order_column),
                      category=cell(category_column))
            line = reader.line_num + 1


def _subject_from(text: str) -> str:
    first = " ".join(text.split())
    return first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "…"


def tickets_import(rows: list[Row], *, mode: str, default_email: str = "", channel: str = Channel.EMAIL,
                   triage: bool = True, progress: Callable[[int], None] | None = None) -> ImportResult:
    """Import rows as tickets (``mode="tickets"``) or as training labels (``mode="labels"``).

    As tickets: each row is a ticket with the text as its first message; a label,
    when the file has one, is stored with it as a person's label. As labels: the
    texts are redacted and stored for ``train_intents``; unknown intents join the
    taxonomy (with the Bitext category when there is one).
    """
    result = ImportResult()
    pending: list[tuple[str, str]] = []
    categories: dict[str, str] = {}

    def flush():
        if pending:
            result.imported += services.intent_labels_import(rows=list(pending), categories=categories)
            pending.clear()

    for index, row in enumerate(rows, start=1):
        if not row.text:
            result.errors.append((row.line, "the text is empty"))
        elif len(row.text) > services.MAX_BODY:
            result.errors.append((row.line, f"the text is longer than {services.MAX_BODY} characters"))
        elif mode == "labels":
            if not row.label:
                result.errors.append((row.line, "the label is empty"))
            elif len(row.label) > 100:
                result.errors.append((row.line, "the label is longer than 100 characters"))
            else:
                pending.append((row.text, row.label))
                if row.category:
                    categories.setdefault(row.label, row.category[:100])
                if len(pending) >= LABEL_BATCH:
                    flush()
        else:
            email = row.email or default_email
            try:
                validate_email(email)
            except ValidationError:
                result.errors.append((row.line, f"no valid customer email ({email or 'empty'}); use --default-email"))
            else:
                try:
                    ticket, _ = services.ticket_create(
                        email=email, subject=row.subject or _subject_from(row.text), body=row.text, name=row.name,
                        order_reference=row.order_reference, channel=channel, triage_now=triage)
                except services.SupportError as exc:
                    result.errors.append((row.line, str(exc)))
                else:
                    if row.label:
                        services.ticket_label_import(ticket=ticket, intent=row.label[:100])
                    result.imported += 1
                    result.tickets.append(ticket.public_id)
        if progress:
            progress(index)
    flush()
    return result
