"""Small hand-written queries for hot paths where the ORM's compiler is most of the cost.

Event ingestion looks up every batch's up to 500 event ids and product references with ``IN``;
the ORM prepared each value through its field, about a tenth of an ingestion request
(docs/performance.md). Values go to the driver as parameters, never into the SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection


def rows_where_in(table: str, columns: list[str], column: str, values: Iterable[str], *,
                  or_column: str | None = None, equals: dict[str, object] | None = None) -> list[tuple]:
    """``SELECT columns FROM table WHERE (column IN values [OR or_column IN values]) [AND name = value ...]``."""
    quote, values = connection.ops.quote_name, list(values)
    if not values:
        return []
    marks = ", ".join(["%s"] * len(values))
    where = f"{quote(column)} IN ({marks})"
    params: list = list(values)
    if or_column:
        where = f"({where} OR {quote(or_column)} IN ({marks}))"
        params += values
    for name, value in (equals or {}).items():
        where += f" AND {quote(name)} = %s"
        params.append(value)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} WHERE {where}", params)
        return cursor.fetchall()
