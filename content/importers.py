"""Bulk import of products and reviews from CSV or JSON files, with a report of every bad row.

``product_bulk_import()`` and ``review_bulk_import()`` are the only entry points; the
management commands are thin doors onto them. Both read the file in batches, validate
each row, and upsert each batch with one ``bulk_create(update_conflicts=True)`` inside
``transaction.atomic()``, so a batch is written whole or not at all, and a row is never
half-imported.

Invariants:

- A bad row never stops the import: it is skipped and reported as ``RowError(line, reason)``.
- A file that cannot be read at all, or whose header lacks a required column, raises
  ``ImportRefused`` before anything is written.
- An existing product keeps its slug; a new one gets a slug no other product has.
- Only the columns present in the file are updated on existing rows.

The file formats are documented in ``docs/import-formats.md``.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import DatabaseError, transaction
from django.utils.text import slugify

from content.catalog import catalog_changed
from content.models import Product, Review
from ecomcms import importing
from ecomcms.conf import conf

DEFAULT_BATCH_SIZE = 2000
IN_CHUNK = 500  # ids per `__in` query: well under SQLite's 999 variables

BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

# ISO 4217 active currency codes.
CURRENCIES = frozenset("""
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
    CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
    GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD
    KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO
    NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV
    WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # IntegerField's range on every backend

# An absolute http(s) URL with a host and no spaces. Django's URLValidator is far stricter and
# far slower (half the time of a 100,000-row import); feeds hold URLs their shop already serves.
_URL = re.compile(r"https?://[^\s/?#@]+(?:[/?#]\S*)?", re.IGNORECASE)


class ImportRefused(Exception):
    """The whole file is refused (unreadable, not the format, required columns missing); nothing was written."""


class RowError(NamedTuple):
    """One skipped row: its line in a CSV or JSON Lines file (header = line 1), or its item number in a JSON array."""

    line: int
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unit: str = "line"  # what RowError.line counts: "line", or "item" in a JSON array
    dry_run: bool = False

    @property
    def imported(self) -> int:
        return self.created + self.updated


Progress = Callable[[int, int, int], None]  # (done, total, rows read); done/total in bytes, or items of a JSON array


# --------------------------------------------------------------------------------------------- entry points


def product_bulk_import(
    *, path: str | Path, format: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Create or update products by SKU from a CSV or JSON file.

    Bad rows are skipped and reported; each batch of good rows is upserted atomically.
    Existing products keep their slug. With ``dry_run`` everything is validated (against the
    database too) and counted, and nothing is written.
    """
    return _import(_PRODUCTS, _ProductWriter(dry_run=dry_run), path=path, fmt=format, batch_size=batch_size,
                   dry_run=dry_run, progress=progress)


def review_bulk_import(
    *, path: str | Path, format: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Create or update reviews by (product SKU, external_id) from a CSV or JSON file.

    A review whose SKU matches no product is a bad row. Same batching and reporting as products.
    """
    return _import(_REVIEWS, _ReviewWriter(dry_run=dry_run), path=path, fmt=format, batch_size=batch_size,
                   dry_run=dry_run, progress=progress)


# --------------------------------------------------------------------------------------------- row specs


class _Invalid(Exception):
    """A row's value that cannot be imported; the message is the reason shown to the person importing."""


@dataclass(frozen=True)
class _Spec:
    columns: frozenset[str]
    required: tuple[str, ...]
    attr_columns: bool  # accepts `attr:<key>` columns
    clean: Callable[[dict[str, Any]], _Row]
    key: Callable[[dict[str, Any]], Any]  # identity of a row within the file, for duplicate detection
    describe_duplicate: Callable[[Any], str]


@dataclass
class _Row:
    line: int
    values: dict[str, Any]  # model field -> clean value
    update_fields: tuple[str, ...]  # fields to overwrite on an existing row: the ones the file provides


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _text(values: dict, name: str, model=None, *, required: bool = False) -> str:
    raw = values.get(name)
    if raw is None:
        text = ""
    elif isinstance(raw, str):
        text = raw.strip()
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        text = str(raw)
    else:
        raise _Invalid(f"{name} must be text, not {_json_type(raw)}")
    if required and not text:
        raise _Invalid(f"missing {name}")
    limit = _max_length(model, name) if model is not None else None
    if limit is not None and len(text) > limit:
        raise _Invalid(f"{name} is too long ({len(text)} characters, at most {limit})")
    return text


def _json_type(value) -> str:
    return {dict: "an object", list: "a list", bool: "true/false", str: "text", type(None): "null"}.get(
        type(value), "a number")


def _show(value) -> str:
    """A value quoted for an error message, shortened so a huge field cannot flood the report."""
    text = value if isinstance(value, str) else json.dumps(value)
    return json.dumps(text if len(text) <= 60 else text[:57] + "...", ensure_ascii=False)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_PLAIN_DECIMAL = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


def _price(value) -> Decimal | None:
    if _blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Invalid(f"bad price {_show(value)}")
    text = str(value).strip()
    try:
        price = Decimal(text)
    except InvalidOperation:
        raise _Invalid(f"bad price {_show(value)}") from None
    if not _PLAIN_DECIMAL.fullmatch(text):  # Decimal() also reads "1e3" and "Infinity": a decimal with a dot only
        raise _Invalid(f"bad price {_show(value)} (expected a decimal with a dot, such as 19.90)")
    if not price.is_finite():
        raise _Invalid(f"bad price {_show(value)}")
    if price < 0:
        raise _Invalid(f"price {_show(value)} is negative")
    if price != price.quantize(Decimal("0.01")):
        raise _Invalid(f"price {_show(value)} has more than 2 decimal places")
    field_ = Product._meta.get_field("price")
    if price >= Decimal(10) ** (field_.max_digits - field_.decimal_places):
        raise _Invalid(f"price {_show(value)} is too large")
    return price.quantize(Decimal("0.01"))


def _integer(value, name: str, default: int | None) -> int | None:
    if _blank(value):
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]+", value.strip()):
        number = int(value.strip())
    else:
        raise _Invalid(f"bad {name} {_show(value)} (expected a whole number)")
    if not INT_MIN <= number <= INT_MAX:
        raise _Invalid(f"{name} {_show(value)} is out of range")
    return number


def _boolean(value, name: str, default: bool) -> bool:
    if _blank(value):
        return default
    if isinstance(value, bool):
        return value
    result = BOOLEANS.get(str(value).strip().lower()) if isinstance(value, (str, int)) else None
    if result is None:
        raise _Invalid(f"bad {name} {_show(value)} (expected true/false, 1/0 or yes/no)")
    return result


def _currency(value) -> str:
    if _blank(value):
        return Product._meta.get_field("currency").default
    code = value.strip().upper() if isinstance(value, str) else value
    if code not in CURRENCIES:
        raise _Invalid(f"unknown currency {_show(value)}")
    return code


def _image_urls(value) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, str):
        items = value.split("|")
    elif isinstance(value, list):
        items = value
    else:
        raise _Invalid(f"image_urls must be a list or text separated by |, not {_json_type(value)}")
    urls = []
    for item in items:
        if not isinstance(item, str):
            raise _Invalid(f"bad image URL {_show(item)}")
        url = item.strip()
        if not url:
            continue
        if not _URL.fullmatch(url):
            raise _Invalid(f"bad image URL {_show(url)}")
        urls.append(url)
    return urls


def _attributes(values: dict) -> dict:
    attributes = {}
    raw = values.get("attributes")
    if isinstance(raw, str) and raw.strip():
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _Invalid(f"attributes is not valid JSON ({exc.msg} at column {exc.colno})") from None
        except RecursionError:
            raise _Invalid(f"attributes is {importing.nesting_problem()}") from None
    if importing.too_deep(raw):
        raise _Invalid(f"attributes is {importing.nesting_problem()}")
    if isinstance(raw, dict):
        attributes.update(raw)
    elif not _blank(raw):
        raise _Invalid(f"attributes must be a JSON object, not {_json_type(raw)}")
    for name, value in values.items():
        if name.startswith("attr:"):
            value = value.strip() if isinstance(value, str) else value
            if value not in (None, ""):
                attributes[name[5:]] = value
    return attributes


def _date(value, name: str) -> date | None:
    if _blank(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            try:
                return datetime.fromisoformat(text).date()
            except ValueError:
                pass
    raise _Invalid(f"bad {name} {_show(value)} (expected an ISO date like 2024-05-31)")


def _collect(checks: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run every field check so a row's report names all its problems at once."""
    clean, problems = {}, []
    for name, check in checks.items():
        try:
            clean[name] = check()
        except _Invalid as exc:
            problems.append(str(exc))
    if problems:
        raise _Invalid("; ".join(problems))
    return clean


PRODUCT_COLUMNS = frozenset({
    "sku", "title", "slug", "brand", "category", "price", "currency", "stock", "is_active", "image_urls", "attributes",
})


def _clean_product(values: dict) -> _Row:
    checks = {
        "sku": lambda: _text(values, "sku", Product, required=True),
        "title": lambda: _text(values, "title", Product, required=True),
        "slug": lambda: _slug(values),
        "brand": lambda: _text(values, "brand", Product),
        "category": lambda: _text(values, "category", Product),
        "price": lambda: _price(values.get("price")),
        "currency": lambda: _currency(values.get("currency")),
        "stock": lambda: _integer(values.get("stock"), "stock", 0),
        "is_active": lambda: _boolean(values.get("is_active"), "is_active", True),
        "image_urls": lambda: _image_urls(values.get("image_urls")),
        "attributes": lambda: _attributes(values),
    }
    provided = {"attributes" if name.startswith("attr:") else name for name in values}
    clean = _collect({name: check for name, check in checks.items() if name in provided | {"sku", "title"}})
    update_fields = tuple(sorted((provided | {"title"}) - {"sku", "slug"})) + ("updated_at",)
    return _Row(0, clean, update_fields)


def _slug(values: dict) -> str:
    slug = _text(values, "slug", Product)
    if slug:
        try:
            validate_slug(slug)
        except ValidationError:
            raise _Invalid(f"bad slug {_show(slug)} (use letters, digits, hyphens and underscores)") from None
    return slug


REVIEW_COLUMNS = frozenset({"sku", "external_id", "rating", "title", "body", "author", "reviewed_at", "helpful_count"})


def _clean_review(values: dict) -> _Row:
    checks = {
        "sku": lambda: _text(values, "sku", required=True),
        "external_id": lambda: _text(values, "external_id", Review, required=True),
        "rating": lambda: _rating(values.get("rating")),
        "title": lambda: _text(values, "title", Review),
        "body": lambda: _text(values, "body"),
        "author": lambda: _text(values, "author", Review),
        "reviewed_at": lambda: _date(values.get("reviewed_at"), "reviewed_at"),
        "helpful_count": lambda: _helpful_count(values.get("helpful_count")),
    }
    provided = set(values) & REVIEW_COLUMNS
    required = {"sku", "external_id", "rating"}
    clean = _collect({name: check for name, check in checks.items() if name in provided | required})
    update_fields = tuple(sorted(provided - {"sku", "external_id"} | {"rating"}))
    return _Row(0, clean, update_fields)


def _helpful_count(value) -> int:
    count = _integer(value, "helpful_count", 0)
    if count < 0:
        raise _Invalid(f"bad helpful_count {_show(value)} (expected a whole number of at least 0)")
    return count


def _rating(value) -> int:
    if _blank(value):
        raise _Invalid("missing rating")
    try:
        rating = _integer(value, "rating", None)
    except _Invalid:
        rating = None
    if rating is None or not 1 <= rating <= 5:
        raise _Invalid(f"bad rating {_show(value)} (expected a whole number from 1 to 5)")
    return rating


def _key_text(values: dict, name: str) -> str:
    value = values.get(name)
    return value.strip() if isinstance(value, str) else str(value) if isinstance(value, (int, float)) else ""


_PRODUCTS = _Spec(
    columns=PRODUCT_COLUMNS, required=("sku", "title"), attr_columns=True, clean=_clean_product,
    key=lambda values: _key_text(values, "sku") or None,
    describe_duplicate=lambda sku: f"duplicate SKU {_show(sku)}",
)
_REVIEWS = _Spec(
    columns=REVIEW_COLUMNS, required=("sku", "external_id", "rating"), attr_columns=False, clean=_clean_review,
    key=lambda values: ((_key_text(values, "sku"), _key_text(values, "external_id"))
                        if _key_text(values, "sku") and _key_text(values, "external_id") else None),
    describe_duplicate=lambda key: f"duplicate review {_show(key[1])} for SKU {_show(key[0])}",
)


# --------------------------------------------------------------------------------------------- reading files


@dataclass
class _Record:
    line: int
    values: dict[str, Any] | None  # column -> raw value; None when the row could not be read
    problem: str = ""


class _Source:
    """The rows of one file, each with its line (or item) number, and where the reading is for progress."""

    def __init__(self, records: Iterator[_Record], *, unit: str, total: int, position: Callable[[], int],
                 unknown: set[str]):
        self.records, self.unit, self.total, self.position = records, unit, total, position
        self.unknown = unknown  # column names (or JSON keys) the import ignores


_READ_ERRORS = (OSError, EOFError, zlib.error)  # includes gzip.BadGzipFile and truncated gzip streams


def _guess_format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    for suffix, fmt in ((".csv", "csv"), (".json", "json"), (".jsonl", "json"), (".ndjson", "json")):
        if name.endswith(suffix):
            return fmt
    raise ImportRefused(f"cannot tell the format from the file name {path.name!r}; pass --format csv or --format json")


def _column(name: str, spec: _Spec) -> str | None:
    """The canonical name of a header column or JSON key, or None if the import does not know it."""
    name = name.strip()
    lower = name.lower()
    if lower in spec.columns:
        return lower
    if spec.attr_columns and lower.startswith("attr:") and name[5:].strip():
        return "attr:" + name[5:].strip()
    return None


def _strip_bom(data: bytes) -> bytes:
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _decode_problem(raw: bytes, exc: UnicodeDecodeError) -> str:
    return f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start + 1} of the line)"


def _csv_source(stream, spec: _Spec, *, total: int, position: Callable[[], int]) -> _Source:
    lines = importing.bounded_lines(stream)
    first = next(lines, b"")
    if not first:
        raise ImportRefused("the file is empty")
    if first is importing.TOO_LONG:
        raise ImportRefused(f"the header (line 1): {importing.too_long_problem()}")
    first = _strip_bom(first)
    try:
        header_text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused("the header (line 1) is not valid UTF-8") from None
    if not header_text.strip():
        raise ImportRefused("the first line is empty; it must be the header row")
    # Spreadsheets in many locales save with ";" (or tabs): take whichever the header uses most.
    delimiter = max((",", ";", "\t"), key=header_text.count)

    bad_lines: dict[int, str] = {}
    line_no = 0

    def text_lines() -> Iterator[str]:
        nonlocal line_no
        for raw in _chain([first], lines):
            line_no += 1
            if raw is importing.TOO_LONG:
                bad_lines[line_no] = importing.too_long_problem()
                yield "\n"
                continue
            if b"\x00" in raw:  # no database stores it in text; PostgreSQL refuses the whole batch
                bad_lines[line_no] = "contains a NUL character"
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad_lines[line_no] = _decode_problem(raw, exc)
                yield raw.decode("utf-8", errors="replace")

    reader = csv.reader(text_lines(), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise ImportRefused(f"cannot read the header row: {exc}") from None
    names = [name.strip() for name in header]
    columns = [_column(name, spec) for name in names]
    unknown = {name for name, column in zip(names, columns) if column is None and name}
    seen: set[str] = set()
    for column in columns:
        if column is not None and column in seen:
            raise ImportRefused(f"the column {column!r} appears more than once in the header")
        seen.add(column)
    missing = [name for name in spec.required if name not in seen]
    if missing:
        raise ImportRefused(
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"the header (line 1) has: {', '.join(names) or '(nothing)'}"
        )
    width = len(names)

    def records() -> Iterator[_Record]:
        previous = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start, previous = previous + 1, reader.line_num
                _pop_bad(bad_lines, start, previous)
                yield _Record(start, None, importing.csv_row_problem(exc, start, previous))
                continue
            start, previous = previous + 1, reader.line_num
            problem = _pop_bad(bad_lines, start, previous)
            if problem:
                yield _Record(start, None, problem)
            elif not any(cell.strip() for cell in row):
                continue  # blank line, or a spreadsheet's empty ",,,," row
            elif len(row) != width:
                yield _Record(start, None, f"has {len(row)} values but the header has {width} columns")
            else:
                yield _Record(start, {column: cell for column, cell in zip(columns, row) if column is not None})

    return _Source(records(), unit="line", total=total, position=position, unknown=unknown)


def _chain(first: list[bytes], rest: Iterable[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


def _pop_bad(bad_lines: dict[int, str], start: int, end: int) -> str:
    """The UTF-8 problem of a row spanning physical lines start..end, if any (and forget it)."""
    if not bad_lines:
        return ""
    found = sorted(line for line in bad_lines if start <= line <= end)
    problems = [bad_lines.pop(line) for line in found]
    if not found:
        return ""
    return problems[0] if found[0] == start else f"line {found[0]} of this row is {problems[0]}"


def _json_source(stream, spec: _Spec, *, total: int, position: Callable[[], int]) -> _Source:
    # A JSON array starts with "[", JSON Lines with "{": look at the first non-blank line.
    lines = importing.bounded_lines(stream)
    head: list = []
    for raw in lines:
        head.append(raw)
        if raw is importing.TOO_LONG or raw.strip():
            break
    if not head or (head[-1] is not importing.TOO_LONG and not head[-1].strip()):
        raise ImportRefused("the file is empty")
    if head[-1] is importing.TOO_LONG:
        # One long line first: JSON Lines has it reported and goes on; a JSON list is read whole below.
        return _json_lines_source(_chain(head, lines), spec, total=total, position=position)
    head[0] = _strip_bom(head[0])
    first_char = head[-1].lstrip()[:1]
    if first_char == b"[":
        limit = conf.IMPORT_MAX_JSON_BYTES
        data = b"".join(head) + stream.read(limit + 1)
        if len(data) > limit:
            raise ImportRefused(f"a JSON list over {limit:,} bytes (IMPORT_MAX_JSON_BYTES) is not read whole; "
                                "use JSON Lines (one object per line) for files this large")
        return _json_array_source(data, spec)
    if first_char == b"{":
        return _json_lines_source(_chain(head, lines), spec, total=total, position=position)
    raise ImportRefused("not JSON the import understands: expected a list of objects ([...]) or one object per line")


def _json_array_source(data: bytes, spec: _Spec) -> _Source:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Keep going: invalid bytes become lone surrogates, and the items holding them are reported.
        text = data.decode("utf-8", errors="surrogateescape")
    items = _json_array_items(text)  # all of them first: a file that is not JSON is refused before any write
    unknown: set[str] = set()
    done = 0

    def records() -> Iterator[_Record]:
        nonlocal done
        for number, (item, problem) in enumerate(items, start=1):
            done = number
            yield _Record(number, None, problem) if problem else _json_record(number, item, spec, unknown)

    return _Source(records(), unit="item", total=len(items), position=lambda: done, unknown=unknown)


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{\]}]', re.DOTALL)


def _json_array_items(text: str) -> list[tuple[Any, str]]:
    """The items of a JSON list, each ``(value, "")`` or ``(None, problem)`` for an item nested too deeply.

    Item by item, so one item nested past what Python's parser can recurse into is reported
    and skipped (found by its brackets) instead of failing the whole file.
    """
    decoder = json.JSONDecoder()
    position = _JSON_SPACE.match(text, 0).end()
    if text[position:position + 1] != "[":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportRefused(f"not valid JSON: {exc}") from None
        except RecursionError:
            raise ImportRefused(f"not valid JSON: {importing.nesting_problem()}") from None
        raise ImportRefused(f"a JSON file must hold a list of objects, not {_json_type(value)}")
    items: list[tuple[Any, str]] = []
    position = _JSON_SPACE.match(text, position + 1).end()
    if text[position:position + 1] == "]":
        return _json_array_end(text, position, items)
    while True:
        try:
            item, end = decoder.raw_decode(text, position)
            items.append((None, importing.nesting_problem()) if importing.too_deep(item) else (item, ""))
        except RecursionError:
            end = _json_value_end(text, position)
            items.append((None, importing.nesting_problem()))
        except json.JSONDecodeError as exc:
            raise ImportRefused(f"not valid JSON: {exc}") from None
        position = _JSON_SPACE.match(text, end).end()
        separator = text[position:position + 1]
        if separator == "]":
            return _json_array_end(text, position, items)
        if separator != ",":
            raise ImportRefused(f"not valid JSON: expected ',' or ']' at character {position + 1}")
        position = _JSON_SPACE.match(text, position + 1).end()


def _json_array_end(text: str, position: int, items: list) -> list:
    if text[position + 1:].strip():
        raise ImportRefused(f"not valid JSON: extra data after the list at character {position + 2}")
    return items


def _json_value_end(text: str, position: int) -> int:
    """Where the object or list starting at ``position`` ends, by counting brackets outside strings."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text, position):
        symbol = token.group()
        if symbol in "[{":
            depth += 1
        elif symbol in "]}":
            depth -= 1
            if depth == 0:
                return token.end()
    raise ImportRefused("not valid JSON: a list or object is never closed")


def _json_lines_source(lines: Iterable[bytes], spec: _Spec, *, total: int, position: Callable[[], int]) -> _Source:
    unknown: set[str] = set()

    def records() -> Iterator[_Record]:
        for number, raw in enumerate(lines, start=1):
            if raw is importing.TOO_LONG:
                yield _Record(number, None, importing.too_long_problem())
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield _Record(number, None, _decode_problem(raw, exc))
                continue
            if not text.strip():
                continue
            try:
                item = json.loads(text.rstrip())
            except json.JSONDecodeError as exc:
                yield _Record(number, None, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            except RecursionError:
                yield _Record(number, None, importing.nesting_problem())
                continue
            yield _json_record(number, item, spec, unknown)

    return _Source(records(), unit="line", total=total, position=position, unknown=unknown)


def _json_record(number: int, item, spec: _Spec, unknown: set[str]) -> _Record:
    if not isinstance(item, dict):
        return _Record(number, None, f"expected an object, not {_json_type(item)}")
    if importing.too_deep(item):
        return _Record(number, None, importing.nesting_problem())
    problem = _bad_text(item)
    if problem:
        return _Record(number, None, problem)
    values = {}
    for name, value in item.items():
        column = _column(name, spec)
        if column is None:
            unknown.add(name)
        else:
            values[column] = value
    return _Record(number, values)


def _bad_text(value) -> str:
    """Text no database will store: bytes that were not UTF-8 (lone surrogates), or NUL characters."""
    if isinstance(value, str):
        if "\x00" in value:
            return "contains a NUL character"
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "contains text that is not valid UTF-8"
        return ""
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        for item in value:
            problem = _bad_text(item)
            if problem:
                return problem
    return ""


# --------------------------------------------------------------------------------------------- the run


def _import(spec: _Spec, writer, *, path, fmt, batch_size, dry_run, progress) -> ImportResult:
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    path = Path(path)
    if fmt not in (None, "csv", "json"):
        raise ImportRefused(f"unknown format {fmt!r}; use csv or json")
    fmt = fmt or _guess_format(path)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise ImportRefused(f"cannot open the file: {exc.strerror or exc}") from None
    with raw:
        total = os.fstat(raw.fileno()).st_size
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if raw.peek(2)[:2] == b"\x1f\x8b" else raw
        open_source = _csv_source if fmt == "csv" else _json_source
        try:
            source = open_source(stream, spec, total=total, position=raw.tell)
        except _READ_ERRORS as exc:
            raise ImportRefused(f"cannot read the file: {exc}") from None

        result = ImportResult(unit=source.unit, dry_run=dry_run)
        first_seen: dict[Any, int] = {}
        batch: list[_Row] = []
        rows_read = 0
        last_line = 0

        def flush():
            writer.write(batch, result)
            batch.clear()
            if progress:
                progress(source.position(), source.total, rows_read)

        try:
            for record in source.records:
                rows_read += 1
                last_line = record.line
                row = _validate(spec, record, first_seen, result.unit)
                if isinstance(row, RowError):
                    result.errors.append(row)
                    result.skipped += 1
                    continue
                batch.append(row)
                if len(batch) >= batch_size:
                    flush()
        except _READ_ERRORS as exc:
            # A truncated or corrupt gzip stream: keep what was read, report where reading stopped.
            result.errors.append(RowError(last_line + 1, f"could not read the rest of the file: {exc}"))
        if batch:
            flush()
        if progress:
            progress(source.total, source.total, rows_read)

    if source.unknown:
        result.warnings.append(f"ignored unknown columns: {', '.join(sorted(source.unknown))}")
    result.errors.sort(key=lambda error: error.line)
    return result


def _validate(spec: _Spec, record: _Record, first_seen: dict, unit: str) -> _Row | RowError:
    if record.values is None:
        return RowError(record.line, record.problem)
    key = spec.key(record.values)
    if key is not None:
        if key in first_seen:
            return RowError(record.line, f"{spec.describe_duplicate(key)} (first at {unit} {first_seen[key]})")
        first_seen[key] = record.line
    try:
        row = spec.clean(record.values)
    except _Invalid as exc:
        return RowError(record.line, str(exc))
    row.line = record.line
    return row


def _chunks(items: list, size: int = IN_CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _grouped(model, rows: list[_Row]) -> dict[tuple, list]:
    """Model objects by the fields they update: one bulk_create per set (one per batch for a CSV)."""
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault(row.update_fields, []).append(model(**row.values))
    return groups


def _write_groups(model, objs_by_fields: dict[tuple, list], unique_fields: list[str], rows: list[_Row],
                  result: ImportResult) -> bool:
    """Upsert one batch atomically; on a database refusal report every row of the batch instead."""
    try:
        with transaction.atomic():
            for update_fields, objs in objs_by_fields.items():
                model.objects.bulk_create(objs, update_conflicts=True, unique_fields=unique_fields,
                                          update_fields=list(update_fields))
            if model is Product:  # bulk_create sends no signal: the storefront's cached pages go stale here
                catalog_changed()
    except DatabaseError as exc:
        reason = f"not written: the database refused this batch ({exc})"
        result.errors.extend(RowError(row.line, reason) for row in rows)
        result.skipped += len(rows)
        return False
    return True


class _ProductWriter:
    """Upserts batches of products by SKU, keeping slugs unique across the file and the database."""

    def __init__(self, *, dry_run: bool):
        self.dry_run = dry_run
        self.slugs_taken: dict[str, str] = {}  # slug -> SKU, for new products of this run

    def write(self, rows: list[_Row], result: ImportResult) -> None:
        skus = [row.values["sku"] for row in rows]
        existing: dict[str, str] = {}
        for chunk in _chunks(skus):
            existing.update(Product.objects.filter(sku__in=chunk).values_list("sku", "slug"))

        wanted = {
            row.line: row.values.get("slug") or _derived_slug(row.values["title"], row.values["sku"])
            for row in rows if row.values["sku"] not in existing
        }
        in_db: dict[str, str] = {}
        for chunk in _chunks(list(wanted.values())):
            in_db.update(Product.objects.filter(slug__in=chunk).values_list("slug", "sku"))

        good: list[_Row] = []
        for row in rows:
            sku = row.values["sku"]
            if sku in existing:
                row.values["slug"] = existing[sku]  # an existing product keeps its slug
            elif row.values.get("slug"):
                slug = row.values["slug"]
                owner = in_db.get(slug) or self.slugs_taken.get(slug)
                if owner:
                    reason = f"slug {_show(slug)} is already used by SKU {_show(owner)}"
                    result.errors.append(RowError(row.line, reason))
                    result.skipped += 1
                    continue
                self.slugs_taken[slug] = sku
            else:
                row.values["slug"] = self._free_slug(wanted[row.line], in_db)
                self.slugs_taken[row.values["slug"]] = sku
            good.append(row)

        if not self.dry_run and not _write_groups(Product, _grouped(Product, good), ["sku"], good, result):
            for row in good:
                if row.values["sku"] not in existing:
                    del self.slugs_taken[row.values["slug"]]
            return
        for row in good:
            if row.values["sku"] in existing:
                result.updated += 1
            else:
                result.created += 1

    def _free_slug(self, base: str, in_db: dict[str, str]) -> str:
        slug, n = base, 1
        while self._slug_taken(slug, in_db, asked_db=slug == base):
            n += 1
            slug = f"{base}-{n}"
        return slug

    def _slug_taken(self, slug: str, in_db: dict[str, str], *, asked_db: bool) -> bool:
        # The batch's query answered for base slugs; a numbered one is rare enough to ask on its own.
        if slug in self.slugs_taken or slug in in_db:
            return True
        return not asked_db and Product.objects.filter(slug=slug).exists()


SLUG_ROOM = 8  # characters kept free for a "-<n>" suffix


def _derived_slug(title: str, sku: str) -> str:
    """slugify(title)-slugify(sku), shortened to fit the field with room for a uniqueness suffix."""
    limit = _max_length(Product, "slug") - SLUG_ROOM
    sku_part = slugify(sku)[:limit]
    title_part = slugify(title)[:max(limit - len(sku_part) - 1, 0)].strip("-")
    return "-".join(part for part in (title_part, sku_part) if part) or "product"


class _ReviewWriter:
    """Upserts batches of reviews by (product, external_id); a review of an unknown SKU is a bad row."""

    def __init__(self, *, dry_run: bool):
        self.dry_run = dry_run

    def write(self, rows: list[_Row], result: ImportResult) -> None:
        product_ids: dict[str, int] = {}
        for chunk in _chunks(sorted({row.values["sku"] for row in rows})):
            product_ids.update(Product.objects.filter(sku__in=chunk).values_list("sku", "id"))

        good: list[_Row] = []
        for row in rows:
            product_id = product_ids.get(row.values["sku"])
            if product_id is None:
                result.errors.append(RowError(row.line, f"unknown SKU {_show(row.values['sku'])} (no such product)"))
                result.skipped += 1
                continue
            row.values["product_id"] = product_id
            good.append(row)

        existing: set[tuple[int, str]] = set()
        for chunk in _chunks(good):
            existing.update(Review.objects.filter(
                product_id__in={row.values["product_id"] for row in chunk},
                external_id__in={row.values["external_id"] for row in chunk},
            ).values_list("product_id", "external_id"))

        for row in good:
            del row.values["sku"]
            if {"title", "body"} & set(row.update_fields):  # new words: read the sentiment again
                row.values.update(sentiment="", sentiment_confidence="", sentiment_source="")
                row.update_fields = (*row.update_fields, "sentiment", "sentiment_confidence", "sentiment_source")
        unique_fields = ["product", "external_id"]
        if not self.dry_run and not _write_groups(Review, _grouped(Review, good), unique_fields, good, result):
            return
        for row in good:
            if (row.values["product_id"], row.values["external_id"]) in existing:
                result.updated += 1
            else:
                result.created += 1
