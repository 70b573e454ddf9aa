"""Reading import files with bounded memory, shared by every importer (products, reviews, tickets, events).

- ``open_maybe_gzip``: the file, uncompressed on the fly when it starts with the gzip magic bytes.
- ``bounded_lines``: its physical lines, none held longer than ``IMPORT_MAX_LINE_BYTES``: a longer
  line is skipped in chunks and reported as ``TOO_LONG``, so a 300 KB ``.csv.gz`` holding one
  300 MB line costs a few megabytes, not a gigabyte.
- ``csv_row_problem``: what to report when the CSV reader refuses a row, naming the lines an
  unclosed quote swallowed (a quote left open at line 3 reads the rest of the file as one value).
- ``too_deep`` and ``MAX_NESTING``: JSON nested deeper than any import needs (Python's parser and
  encoder recurse; 1,200 levels is a ``RecursionError``).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ecomcms.conf import conf

MAX_NESTING = 32  # levels of JSON objects and lists in one row or value
_SKIP_CHUNK = 64 * 1024


class _TooLong:
    def __repr__(self) -> str:
        return "TOO_LONG"


TOO_LONG = _TooLong()  # stands for a line over the limit, which was skipped


def max_line_bytes() -> int:
    """``IMPORT_MAX_LINE_BYTES``, read at call time so a changed setting applies."""
    return conf.IMPORT_MAX_LINE_BYTES


def too_long_problem(limit: int | None = None) -> str:
    return f"the line is longer than {limit or max_line_bytes():,} bytes (IMPORT_MAX_LINE_BYTES); not read"


def open_maybe_gzip(path: str | Path) -> tuple[BinaryIO, BinaryIO]:
    """(the raw file, the stream to read): gzip is detected by its magic bytes, not the name."""
    raw = Path(path).open("rb")
    stream = gzip.GzipFile(fileobj=raw, mode="rb") if raw.peek(2)[:2] == b"\x1f\x8b" else raw
    return raw, stream


def bounded_lines(stream: BinaryIO, limit: int | None = None) -> Iterator[bytes | _TooLong]:
    """The stream's lines (with their line ending); ``TOO_LONG`` for each line over ``limit`` bytes.

    Never holds more than ``limit`` plus 64 KB of one line in memory.
    """
    limit = limit or max_line_bytes()
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while True:  # skip the rest of the long line
            rest = stream.readline(_SKIP_CHUNK)
            if not rest or rest.endswith(b"\n"):
                break
        yield TOO_LONG


def csv_row_problem(exc: csv.Error, start: int, end: int) -> str:
    """The reason a CSV row starting on line ``start`` (the reader now at line ``end``) cannot be read."""
    if "unexpected end of data" in str(exc) or (end - start > 1 and "field larger" in str(exc)):
        return (f"a quote opened in this row is never closed: lines {start} to {end} ({end - start + 1} lines) "
                "were read as one value and not imported; close the quote or double it (\"\") inside a value")
    return f"cannot read the row as CSV: {exc}"


def too_deep(value, limit: int = MAX_NESTING) -> bool:
    """True if JSON objects and lists nest more than ``limit`` levels in ``value`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def nesting_problem(limit: int = MAX_NESTING) -> str:
    return f"nested more than {limit} levels deep"
