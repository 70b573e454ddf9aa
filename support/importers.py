"""Reading labelled ticket files (CSV, Bitext, BANKING77) row by row, with line numbers for every error.

``tickets_import`` turns rows into tickets (through ``services.ticket_create``,
so they are redacted and triaged like any other) or into training labels.
A bad row is reported with its line and reason; the good rows import, as with
``import_products``: a row that is not UTF-8, a value over the CSV reader's field
limit, a line over ``IMPORT_MAX_LINE_BYTES`` (read in bounded memory, gzipped or
not) or a quote left open (the lines it swallowed are named) is one reported row.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ecomcms import importing
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
    problem: str = ""  # why the row could not be read; the other fields are then empty


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
    """Rows of a UTF-8 CSV (or .csv.gz) with a header; ``line`` is the line the row starts on (quoted cells span lines).

    A row that cannot be read comes back with its ``problem``; a header that cannot is a ``ValueError``.
    """
    raw, stream = importing.open_maybe_gzip(path)
    with raw:
        bad: dict[int, str] = {}
        reader = csv.reader(_text_lines(stream, bad), strict=True)
        try:
            header = next(reader, [])
        except csv.Error as exc:
            raise ValueError(f"{path}: cannot read the header (line 1): {exc}") from None
        if bad.get(1):
            raise ValueError(f"{path}: the header (line 1) {bad[1]}")
        header = [name.strip() for name in header]
        columns = set(header)
        missing = [c for c in (text_column, label_column) if c and c not in columns]
        if missing:
            raise ValueError(f"{path}: no column(s) {', '.join(missing)}; the header has {', '.join(header)}")
        while True:
            line = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                _problems(bad, line, reader.line_num)
                yield Row(line=line, text="", problem=importing.csv_row_problem(exc, line, reader.line_num))
                continue
            problem = _problems(bad, line, reader.line_num)
            if problem:
                yield Row(line=line, text="", problem=problem)
                continue
            if not values:
                continue  # a blank line
            record = dict(zip(header, values))

            def cell(name):
                return (record.get(name) or "").strip() if name and name in columns else ""  # noqa: B023 (used at once)
            yield Row(line=line, text=cell(text_column), label=cell(label_column), subject=cell(subject_column),
                      email=cell(email_column), name=cell(name_column), order_reference=cell(order_column),
                      category=cell(category_column))


def _text_lines(stream, bad: dict[int, str]) -> Iterator[str]:
    """The file's lines as text; a line that is not UTF-8, holds a NUL or is too long is noted in ``bad``."""
    for number, data in enumerate(importing.bounded_lines(stream), start=1):
        if data is importing.TOO_LONG:
            bad[number] = importing.too_long_problem()
            yield "\n"
            continue
        if number == 1 and data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        if b"\x00" in data:
            bad[number] = "contains a NUL character"
        try:
            yield data.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[number] = f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at position {exc.start + 1} of the line)"
            yield data.decode("utf-8", errors="replace")


def _problems(bad: dict[int, str], start: int, end: int) -> str:
    """The first problem noted for lines start..end of one row (and forget them)."""
    found = [(line, bad.pop(line)) for line in sorted(bad) if start <= line <= end] if bad else []
    if not found:
        return ""
    line, problem = found[0]
    return problem if line == start else f"line {line} of this row: {problem}"


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
        if row.problem:
            result.errors.append((row.line, row.problem))
        elif not row.text:
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
