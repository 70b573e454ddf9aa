"""import_tickets on hostile files (issue 13, defect 5): like import_products, a bad row is reported by line.

A field over the CSV reader's 131,072-character limit, a byte that is not UTF-8, a quote left
open (the lines it swallowed are named) and one enormous line in a .csv.gz (bounded memory):
each is one reported row, and the good rows import.
"""

from __future__ import annotations

import csv
import gzip
import tracemalloc
from io import StringIO

import pytest
from django.core.management import call_command

from support import importers
from support.models import IntentLabel

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _rows(n: int) -> list[list[str]]:
    return [[f"where is my parcel number {i}", "track_order"] for i in range(n)]


def _write(path, rows, *, header=("text", "label")):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_field_over_the_csv_limit_is_one_reported_row(tmp_path):
    rows = _rows(3)
    rows.insert(1, ["x" * 140_000, "track_order"])
    path = _write(tmp_path / "big.csv", rows)

    out = run("import_tickets", str(path), "--format", "csv", "--as", "labels")

    assert "3 labels imported, 1 rows refused" in out
    assert "line 3: cannot read the row as CSV: field larger than field limit" in out
    assert IntentLabel.objects.count() == 3


def test_a_byte_that_is_not_utf8_is_one_reported_row(tmp_path):
    path = _write(tmp_path / "latin.csv", _rows(3))
    data = path.read_bytes().replace(b"number 1,", b"n\xfcmber 1,")
    path.write_bytes(data)

    out = run("import_tickets", str(path), "--format", "csv", "--as", "labels")

    assert "2 labels imported, 1 rows refused" in out
    assert "line 3: not valid UTF-8 (byte 0xfc" in out


def test_an_unclosed_quote_names_the_lines_it_swallowed(tmp_path):
    lines = ["text,label"] + [f"where is parcel {i},track_order" for i in range(198)]
    lines[2] = lines[2].replace("where", '"where', 1)  # line 3 opens a quote that never closes
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n")

    out = run("import_tickets", str(path), "--format", "csv", "--as", "labels")

    assert "1 labels imported, 1 rows refused" in out
    assert "line 3: a quote opened in this row is never closed: lines 3 to 199 (197 lines)" in out


def test_one_enormous_line_in_a_csv_gz_is_refused_with_bounded_memory(tmp_path, settings):
    settings.IMPORT_MAX_LINE_BYTES = 64 * 1024
    path = tmp_path / "huge.csv.gz"
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(b"text,label\nwhere is my parcel,track_order\n")
        for _ in range(32):
            handle.write(b"x" * (1024 * 1024))
        handle.write(b",track_order\nmy refund please,get_refund\n")

    tracemalloc.start()
    try:
        rows = list(importers.read_rows(path, text_column="text", label_column="label"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes for a 32 MB line"
    assert [(row.line, row.text) for row in rows if not row.problem] == [(2, "where is my parcel"),
                                                                          (4, "my refund please")]
    (bad,) = [row for row in rows if row.problem]
    assert bad.line == 3 and "longer than 65,536 bytes" in bad.problem


def test_a_header_that_is_not_utf8_refuses_the_file(tmp_path):
    path = tmp_path / "bad-header.csv"
    path.write_bytes(b"t\xffxt,label\nhello,track_order\n")

    with pytest.raises(Exception, match="header \\(line 1\\)"):
        run("import_tickets", str(path), "--format", "csv", "--as", "labels")
