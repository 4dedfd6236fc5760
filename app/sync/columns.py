"""How sync reads columns for the views it builds in bulk: in the forms cheapest to turn into
JSON, with the conversions done by the database where it can.

Passing every export line through uuid.UUID objects, aware datetimes and the json module
would be most of the export's time at national scale (bench/sync_export.py).
"""

from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, String, Text, TypeDecorator, Uuid, cast, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.db import UTCDateTime


def encode(value: Any) -> bytes:
    """JSON as the rest of the API writes it (UTC times end in Z); naive datetimes are UTC here."""
    return orjson.dumps(value, option=orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z)


class UuidKey(FunctionElement[str]):
    """A UUID column as text for merging by key, in the cheapest form that sorts as the
    column does: SQLite's stored hex digits as they are, PostgreSQL's canonical text."""

    type = String()
    inherit_cache = True


class UuidText(FunctionElement[str]):
    """A UUID column as its canonical text (8-4-4-4-12 hex digits), written by the database."""

    type = String()
    inherit_cache = True


@compiles(UuidText, "postgresql")
@compiles(UuidKey, "postgresql")
def _uuid_text_postgresql(element: FunctionElement[str], compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(UuidText, "sqlite")
def _uuid_text_sqlite(element: UuidText, compiler: Any, **kw: Any) -> str:
    # Stored as 32 lower-case hex digits (SQLAlchemy's Uuid without a native type).
    column = compiler.process(element.clauses, **kw)
    return " || '-' || ".join(f"substr({column}, {start}, {length})"
                              for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))


@compiles(UuidKey, "sqlite")
def _uuid_key_sqlite(element: UuidKey, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


class NaiveUtc(FunctionElement[Any]):
    """A UTCDateTime column as a naive UTC timestamp: the zone is put back by encode(), which
    costs less than app.db.UTCDateTime attaching it to every value of an export."""

    type = DateTime()
    inherit_cache = True


@compiles(NaiveUtc, "postgresql")
def _naive_utc_postgresql(element: NaiveUtc, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC')"


@compiles(NaiveUtc, "sqlite")
def _naive_utc_sqlite(element: NaiveUtc, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))  # stored as UTC without a zone


class JsonText(TypeDecorator[Any]):
    """A JSON column read as its text and parsed by orjson, several times faster than json."""

    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else orjson.loads(value)


def read_as(column: Any) -> Any:
    """The column to select in place of `column`, labelled with its name."""
    if isinstance(column.type, Uuid):
        return UuidText(column).label(column.name)
    if isinstance(column.type, UTCDateTime):
        return NaiveUtc(column).label(column.name)
    if isinstance(column.type, JSON):
        return type_coerce(cast(column, Text), JsonText()).label(column.name)
    return column
