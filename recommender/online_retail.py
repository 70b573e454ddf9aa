"""Reading the UCI Online Retail export line by line, with a reason for every line it refuses.

The engine's :func:`recommender.engine.data.load_online_retail` reads the same
file column-wise for offline evaluation and stops at the first bad value; an
import must instead keep going and say which lines it skipped. The rules for
what is a purchase are the engine's (same non-product codes, same treatment
of cancellations and write-offs), so the database and the offline evaluation
see the same purchases.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple

from ecomcms import importing
from recommender.engine.data import NON_PRODUCT_CODES

COLUMNS = ("InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M")
MAX_SKU = 64
_SURROGATE = re.compile("[\udc80-\udcff]")
MAX_FIELD = 10_000  # longer values are not order lines but damage (a runaway quote, a pasted document)
MAX_ID = 90  # invoice and customer ids: the event's client id adds the SKU and a counter to the invoice
CENT = Decimal("0.01")
PRICE_LIMIT = Decimal(10) ** 10  # Event.price: 12 digits, 2 after the point


class FileRefused(Exception):
    """The file cannot be read at all, or is not the format; nothing was imported."""


class LineError(NamedTuple):
    """A refused line (the header is line 1) and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)  # slots: an import holds every line of the file at once
class Line:
    """One purchase or cancellation line, cleaned."""

    line: int
    invoice: str
    sku: str
    description: str
    quantity: int  # negative: a cancellation
    occurred_at: datetime  # aware, UTC
    price: Decimal | None
    customer: str  # "" for an anonymous basket


@dataclass
class ReadStats:
    lines: int = 0
    not_goods: int = 0  # postage, fees, discounts, manual adjustments
    not_purchases: int = 0  # stock write-offs (quantity <= 0 on a normal invoice), zero quantities
    errors: list[LineError] = field(default_factory=list)


Progress = Callable[[int, int], None]  # (bytes read, total bytes)


def _open(path: Path, too_long: set[int]) -> tuple[Iterator[str], Callable[[], int], int, io.BufferedReader]:
    """Text lines, a function telling how many bytes of the file were read, the file's size, the raw file.

    Lines over ``IMPORT_MAX_LINE_BYTES`` are skipped unread (bounded memory, gzipped or not) and
    their numbers added to ``too_long``.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise FileRefused(f"cannot open it: {exc.strerror or exc}") from exc
    size = path.stat().st_size
    binary = gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == b"\x1f\x8b" else raw

    def lines() -> Iterator[str]:
        for number, data in enumerate(importing.bounded_lines(binary), start=1):
            if data is importing.TOO_LONG:
                too_long.add(number)
                yield "\n"
            else:
                # Bytes that are not UTF-8 become lone surrogates: their line is refused, the others import.
                yield data.decode("utf-8", errors="surrogateescape")

    return lines(), raw.tell, size, raw


def read_online_retail(path: str | Path, stats: ReadStats, progress: Progress | None = None) -> Iterator[Line]:
    """Yield the file's purchase and cancellation lines; count and explain everything else in ``stats``.

    Kept, as in the engine: goods (not :data:`NON_PRODUCT_CODES`) with a positive quantity on a
    normal invoice, and cancellation lines (invoice starting with "C") with a negative one.
    Times are read as UTC. Prices are rounded to the cent (the source has a few 0.001 prices).
    """
    path = Path(path)
    too_long: set[int] = set()
    stream, position, size, raw = _open(path, too_long)
    dates: dict[str, datetime] = {}
    try:
        reader = csv.reader(stream)
        try:
            header = next(reader)
        except StopIteration:
            raise FileRefused("the file is empty") from None
        if 1 in too_long:
            raise FileRefused(f"the header (line 1): {importing.too_long_problem()}")
        header = [name.strip().lstrip("\ufeff") for name in header]
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            raise FileRefused(
                f"not the Online Retail format: no {', '.join(missing)} column (header: {', '.join(header[:10])})"
            )
        index = [header.index(name) for name in COLUMNS]
        width = max(index) + 1
        for number, row in _rows(reader, stats, too_long):
            stats.lines += 1
            if progress and number % 20_000 == 0:
                progress(position(), size)
            if len(row) < width:
                stats.errors.append(LineError(number, f"{len(row)} columns, expected at least {width}"))
                continue
            invoice, sku, description, quantity, when, price, customer = (row[i].strip() for i in index)
            problem = _unreadable(row, header)
            if problem:
                stats.errors.append(LineError(number, problem))
                continue
            try:
                line = _clean(number, invoice, sku, description, quantity, when, price, customer, dates, stats)
            except ValueError as exc:
                stats.errors.append(LineError(number, str(exc)))
                continue
            if line is not None:
                yield line
        if progress:
            progress(size, size)
    except (OSError, EOFError, zlib.error, csv.Error) as exc:  # gzip.BadGzipFile is an OSError
        raise FileRefused(f"cannot read it: {exc}") from exc
    finally:
        raw.close()


def _rows(reader, stats: ReadStats, too_long: set[int]) -> Iterator[tuple[int, list[str]]]:
    """Numbered rows; a row the CSV reader refuses (a field over its size limit) is reported, not fatal.

    An order line is one physical line: a row spanning several is a quote left open, reported with
    the lines it swallowed; so is a line over ``IMPORT_MAX_LINE_BYTES``.
    """
    while True:
        number = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            stats.lines += 1
            stats.errors.append(LineError(number, importing.csv_row_problem(exc, number, reader.line_num)))
            continue
        end = reader.line_num
        if number in too_long:
            stats.lines += 1
            stats.errors.append(LineError(number, importing.too_long_problem()))
            continue
        if end > number:
            stats.lines += 1
            stats.errors.append(LineError(number, (
                f"a quoted value runs from line {number} to line {end} ({end - number + 1} lines read as one "
                "and not imported): is a quote left open?")))
            continue
        yield number, row


def _unreadable(row: list[str], header: list[str]) -> str:
    """Why a line cannot be stored as it is: bytes that were not UTF-8, or a field no column holds."""
    for position, value in enumerate(row):
        name = header[position] if position < len(header) else f"column {position + 1}"
        bad = _SURROGATE.search(value)
        if bad:
            return f"{name} is not UTF-8 text (byte 0x{ord(bad.group()) - 0xDC00:02x})"
        if len(value) > MAX_FIELD:
            return f"{name} is {len(value):,} characters long, at most {MAX_FIELD:,}"
    return ""


def _clean(number, invoice, sku, description, quantity, when, price, customer, dates, stats) -> Line | None:
    if not invoice:
        raise ValueError("missing InvoiceNo")
    if not sku:
        raise ValueError("missing StockCode")
    if sku.upper() in NON_PRODUCT_CODES:
        stats.not_goods += 1
        return None
    if len(sku) > MAX_SKU:
        raise ValueError(f"StockCode is too long ({len(sku)} characters, at most {MAX_SKU})")
    if len(invoice) > MAX_ID:
        raise ValueError(f"InvoiceNo is too long ({len(invoice)} characters, at most {MAX_ID})")
    try:
        units = int(quantity)
    except ValueError:
        raise ValueError(f"Quantity {quantity[:30]!r} is not a whole number") from None
    cancelled = invoice[0] in "cC"
    if (units >= 0) if cancelled else (units <= 0):
        stats.not_purchases += 1
        return None
    if abs(units) > 2**31 - 1:
        raise ValueError(f"Quantity {units} is out of range")
    occurred_at = dates.get(when) or _date(when, dates)
    cost = None
    if price:
        try:
            cost = Decimal(price)
        except InvalidOperation:
            raise ValueError(f"UnitPrice {price[:30]!r} is not a number") from None
        if not cost.is_finite() or cost < 0 or cost >= PRICE_LIMIT:
            raise ValueError(f"UnitPrice {price[:30]!r} is out of range")
        cost = cost.quantize(CENT, rounding=ROUND_HALF_UP)
    customer = customer.removesuffix(".0")  # exported through a float column
    if len(customer) > MAX_ID:
        raise ValueError(f"CustomerID is too long ({len(customer)} characters, at most {MAX_ID})")
    return Line(number, invoice, sku, description, units, occurred_at, cost, customer)


def _date(text: str, cache: dict[str, datetime]) -> datetime:
    for fmt in DATE_FORMATS:
        try:
            value = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        cache[text] = value
        return value
    raise ValueError(f"InvoiceDate {text[:30]!r} is not a date and time (YYYY-MM-DD HH:MM[:SS])")
