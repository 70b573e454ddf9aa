"""Hostile import files (issue 13, defects 4 and 5): each bad row reported by line, the good rows imported.

- JSON nested 1,200 levels (past Python's recursion limit) in a CSV cell, a JSON list and JSON Lines.
- A quote left open at line 3 of a 199-row CSV: the lines it swallows are reported, never silently lost.
- A .csv.gz holding one enormous line: refused with bounded memory (IMPORT_MAX_LINE_BYTES).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tracemalloc

import pytest
from django.core.management import call_command

from content import importers
from content.models import Product, Review
from tests.content.factories import make_product

pytestmark = pytest.mark.django_db

DEEP = "[" * 1200 + "]" * 1200  # Python's json recursion limit is about 1,000


def _write_csv(path, rows: list[list[str]]):
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def _products(n: int) -> list[dict]:
    return [{"sku": f"SKU-{i}", "title": f"Product {i}", "attributes": {"colour": "blue"}} for i in range(n)]


def _deep_files(tmp_path) -> dict[str, object]:
    items = _products(3)
    deep_item = {"sku": "SKU-DEEP", "title": "Deep", "attributes": "PLACEHOLDER"}
    deep_json = json.dumps(deep_item).replace('"PLACEHOLDER"', "{\"a\": " + DEEP + "}")
    csv_path = _write_csv(tmp_path / "deep.csv", [["sku", "title", "attributes"]]
                          + [[item["sku"], item["title"], json.dumps(item["attributes"])] for item in items[:1]]
                          + [["SKU-DEEP", "Deep", "{\"a\": " + DEEP + "}"]]
                          + [[item["sku"], item["title"], json.dumps(item["attributes"])] for item in items[1:]])
    lines = [json.dumps(items[0]), deep_json, *(json.dumps(item) for item in items[1:])]
    jsonl_path = tmp_path / "deep.jsonl"
    jsonl_path.write_text("\n".join(lines) + "\n")
    json_path = tmp_path / "deep.json"
    json_path.write_text("[\n" + ",\n".join(lines) + "\n]\n")
    return {"csv": csv_path, "jsonl": jsonl_path, "json": json_path}


@pytest.mark.parametrize("kind", ["csv", "jsonl", "json"])
def test_json_nested_past_the_recursion_limit_is_one_bad_row(tmp_path, kind):
    path = _deep_files(tmp_path)[kind]

    result = importers.product_bulk_import(path=path, batch_size=1)

    assert result.created == 3
    assert result.skipped == 1
    (error,) = result.errors
    assert error.line == (3 if kind == "csv" else 2)  # the header is line 1 of a CSV
    assert "nested more than 32 levels deep" in error.reason
    assert not Product.objects.filter(sku="SKU-DEEP").exists()


@pytest.mark.parametrize("kind", ["csv", "jsonl", "json"])
def test_the_command_prints_its_summary_after_a_deeply_nested_row(tmp_path, capsys, kind):
    path = _deep_files(tmp_path)[kind]

    call_command("import_products", str(path), "--batch-size", "1")

    out = capsys.readouterr().out
    assert "3 created" in out
    assert "nested more than 32 levels deep" in out


def test_attributes_nested_a_little_too_deep_are_refused_before_the_database_sees_them(tmp_path):
    nested = "{}"
    for _ in range(40):
        nested = '{"a": ' + nested + "}"
    path = _write_csv(tmp_path / "p.csv", [["sku", "title", "attributes"], ["S-1", "One", nested],
                                           ["S-2", "Two", '{"a": {"b": 1}}']])

    result = importers.product_bulk_import(path=path)

    assert result.created == 1
    assert [error.line for error in result.errors] == [2]


# --- A quote left open -------------------------------------------------------------------------

def _open_quote_csv(tmp_path, header: list[str], row) -> object:
    lines = [",".join(header)] + [",".join(row(i)) for i in range(198)]
    lines[2] = lines[2].replace(",", ',"', 1)  # line 3: a value opens a quote that never closes
    path = tmp_path / "open-quote.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_unclosed_quote_in_a_product_file_is_reported_with_the_lines_it_swallowed(tmp_path):
    path = _open_quote_csv(tmp_path, ["sku", "title"], lambda i: [f"SKU-{i}", f"Product {i}"])

    result = importers.product_bulk_import(path=path)

    assert result.created == 1
    (error,) = result.errors
    assert error.line == 3
    assert "never closed" in error.reason and "lines 3 to 199 (197 lines)" in error.reason


def test_an_unclosed_quote_in_a_review_file_is_reported_with_the_lines_it_swallowed(tmp_path):
    make_product(sku="SKU-1")
    path = _open_quote_csv(tmp_path, ["sku", "external_id", "rating"], lambda i: ["SKU-1", f"r-{i}", "5"])

    result = importers.review_bulk_import(path=path)

    assert Review.objects.count() == 1
    (error,) = result.errors
    assert error.line == 3 and "lines 3 to 199 (197 lines)" in error.reason


# --- One enormous line in a small .csv.gz ------------------------------------------------------

def _gzipped_long_line(path, size: int):
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(b"sku,title\nSKU-1,First\nSKU-2,")
        chunk = b"x" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            handle.write(chunk)
        handle.write(b"\nSKU-3,Third\n")
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_one_enormous_line_is_refused_with_bounded_memory(tmp_path, settings, fmt):
    settings.IMPORT_MAX_LINE_BYTES = 64 * 1024
    path = tmp_path / f"huge.{fmt}.gz"
    if fmt == "csv":
        _gzipped_long_line(path, 32 * 1024 * 1024)
    else:
        with gzip.open(path, "wb", compresslevel=1) as handle:
            handle.write(b'{"sku": "SKU-1", "title": "First"}\n{"sku": "SKU-2", "title": "')
            for _ in range(32):
                handle.write(b"x" * (1024 * 1024))
            handle.write(b'"}\n{"sku": "SKU-3", "title": "Third"}\n')

    tracemalloc.start()
    try:
        result = importers.product_bulk_import(path=path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes for a 32 MB line"
    assert result.created == 2
    (error,) = result.errors
    assert error.line == (3 if fmt == "csv" else 2)  # the header is line 1 of a CSV
    assert "longer than 65,536 bytes" in error.reason


def test_a_json_list_over_its_limit_is_refused_before_it_is_read(tmp_path, settings):
    settings.IMPORT_MAX_JSON_BYTES = 2048
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_products(100)))

    with pytest.raises(importers.ImportRefused, match="IMPORT_MAX_JSON_BYTES"):
        importers.product_bulk_import(path=path)
    assert not Product.objects.exists()


def test_a_json_list_that_is_not_json_is_still_refused_whole(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"sku": "A", "title": "a"}, {"sku": "B", "title": }]')

    with pytest.raises(importers.ImportRefused, match="not valid JSON"):
        importers.product_bulk_import(path=path)
    assert not Product.objects.exists()


def test_helper_streams_are_untouched_by_short_lines():
    from ecomcms.importing import TOO_LONG, bounded_lines
    stream = io.BytesIO(b"a\n" + b"b" * 100 + b"\nc")
    assert list(bounded_lines(stream, 10)) == [b"a\n", TOO_LONG, b"c"]
