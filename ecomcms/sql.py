"""Small hand-written queries for hot paths where the ORM's compiler is most of the cost.

Event ingestion looks up every batch's up to 500 event ids and product references with ``IN``;
the ORM prepared each value through its field, about a tenth of an ingestion request
(docs/performance.md). Values go to the driver as parameters, never into the SQL text.

On PostgreSQL a list is one parameter (``= ANY(%s)``): psycopg's client-side binding parses the
SQL text for its placeholders, which for 500 of them cost more than the query (a profile, 2026-12-07).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TypeVar

import orjson
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections

T = TypeVar("T")
M = TypeVar("M")


def rows_where_in(table: str, columns: list[str], column: str, values: Iterable[str], *,
                  or_column: str | None = None, equals: dict[str, object] | None = None) -> list[tuple]:
    """``SELECT columns FROM table WHERE (column IN values [OR or_column IN values]) [AND name = value ...]``."""
    quote, values = connection.ops.quote_name, list(values)
    if not values:
        return []
    if connection.vendor == "postgresql":
        where, params = f"{quote(column)} = ANY(%s)", [values]
        if or_column:
            where, params = f"({where} OR {quote(or_column)} = ANY(%s))", [values, values]
    else:
        marks = ", ".join(["%s"] * len(values))
        where = f"{quote(column)} IN ({marks})"
        params = list(values)
        if or_column:
            where = f"({where} OR {quote(or_column)} IN ({marks}))"
            params += values
    for name, value in (equals or {}).items():
        where += f" AND {quote(name)} = %s"
        params.append(value)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} WHERE {where}", params)
        return cursor.fetchall()


def instances_where(model: type[M], where: str, params: list) -> list[M]:
    """``model`` instances (every concrete field loaded) of the rows ``WHERE where``, as the ORM builds them.

    For reads on every request, such as the token's: the ORM's query compiler cost more than the
    query (a profile, docs/performance.md). Each value goes through the converters the ORM applies
    (the database's and the field's own, e.g. JSON), and ``Model.from_db`` builds the instance.
    ``where`` names columns quoted by the caller; values go as parameters. The statement, and
    which columns have converters at all, are worked out once per model, database and ``where``.
    """
    db = connections[DEFAULT_DB_ALIAS]
    plan = _plans.get((model, db.vendor, where))
    if plan is None:
        table, fields, quote = model._meta.db_table, model._meta.concrete_fields, db.ops.quote_name
        columns = [field.get_col(table) for field in fields]
        plan = _plans[(model, db.vendor, where)] = (
            f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(table)} WHERE {where}",
            [(position, column) for position, column in enumerate(columns)
             if db.ops.get_db_converters(column) + column.get_db_converters(db)],
            [field.attname for field in fields],
        )
    sql, converted, names = plan
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    instances = []
    for row in rows:
        values = list(row)
        for position, column in converted:
            for convert in db.ops.get_db_converters(column) + column.get_db_converters(db):
                values[position] = convert(values[position], column, db)
        instances.append(model.from_db(db.alias, names, values))
    return instances


_plans: dict[tuple, tuple[str, list, list[str]]] = {}


def as_health_check(run: Callable[[], T]) -> T:
    """``run()``, a read; when it is a request's first query, it also serves as the connection's health check.

    With ``CONN_HEALTH_CHECKS`` (PostgreSQL, ecomcms/settings.py) Django sends ``SELECT 1`` before a
    request's first query, one more round trip for every request (``ecomcms.caching`` reads the catalogue
    generation through here too). Here the read itself checks: should the kept connection be
    dead (the database restarted), it is closed and ``run()`` runs once more on a new one, which is
    what the health check would have done (in a transaction, the error is raised: it is lost anyway).
    """
    db = connections[DEFAULT_DB_ALIAS]  # once: each attribute read through ``connection`` looks it up again
    if db.connection is not None and not db.health_check_done and db.settings_dict.get("CONN_HEALTH_CHECKS"):
        db.health_check_done = True
        try:
            return run()
        except (OperationalError, InterfaceError):
            if db.in_atomic_block:
                raise
            db.close()
    return run()


def insert_new(model, fields: list, rows: list[list]) -> int:
    """``INSERT`` ``rows`` (values of ``fields``, adapted as the driver takes them) ``ON CONFLICT DO NOTHING``;
    how many were inserted (a row a unique constraint already holds, even from a concurrent request, is not).

    PostgreSQL: one statement whatever the number of rows, the rows one ``jsonb`` parameter
    (``INSERT ... SELECT ... FROM jsonb_to_recordset(%s::jsonb) AS r(column type, ...)``), rendered by
    orjson: with Django's client-side binding, psycopg wrote each array of an earlier ``unnest`` form
    value by value in Python, most of the statement's cost at 100 rows (docs/performance.md). A
    single statement needs no transaction around it to be atomic. SQLite: one statement run for each
    row (``executemany``, in the caller's transaction).
    """
    if not rows:
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [f.column for f in fields]
            payload = orjson.dumps([dict(zip(names, row)) for row in rows], default=_json_value)
            types = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
            cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {columns} "
                           f"FROM jsonb_to_recordset(%s::jsonb) AS r({types}) ON CONFLICT DO NOTHING",
                           [payload.decode()])
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks}) "
                               "ON CONFLICT DO NOTHING", rows)
        return cursor.rowcount


def _json_value(value):
    """What orjson does not write itself: decimals, as their exact text (PostgreSQL reads ``numeric`` from it)."""
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
