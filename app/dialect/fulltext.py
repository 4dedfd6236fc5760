"""The free-text index, where the two databases differ most (app/search/text.py makes
the stems and the queries).

Both databases index the same Python-made stems and match them as prefixes, so a query
finds the same services on either. SQLite keeps them in an FTS5 table, PostgreSQL in a
tsvector with a GIN index. The tsvector and tsquery are cast from literals rather than
parsed by to_tsvector/to_tsquery: PostgreSQL's parser splits some tokens (e.g. "12e3x")
that FTS5 keeps whole, and the sets would then differ.
"""

import re
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    Column,
    Float,
    MetaData,
    String,
    Subquery,
    Table,
    Text,
    TextClause,
    Uuid,
    bindparam,
    column,
    func,
    text,
)
from sqlmodel import Session

SEARCH_TABLE = "service_search"
STEMS_TABLE = "service_search_stems"  # SQLite only
# Every query is AND over words, OR over alternatives, AND over prefix stems.
PrefixQuery = list[list[list[str]]]
_STEM = re.compile(r"[a-z0-9]+")
_MAX_TSVECTOR_POSITION = 16_383


def is_search_index_table(name: str | None) -> bool:
    """The search index and FTS5's shadow tables: no SQLModel model describes them."""
    return name is not None and (name == SEARCH_TABLE or name.startswith(f"{SEARCH_TABLE}_"))


def include_in_autogenerate(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic `include_name` hook: compare everything but the search index."""
    return not (type_ == "table" and is_search_index_table(name))


def _checked(stems: Sequence[str]) -> Sequence[str]:
    # Stems are rendered into FTS5/tsquery syntax, so only plain tokens may pass.
    if bad := [stem for stem in stems if not _STEM.fullmatch(stem)]:
        raise ValueError(f"not a search stem: {bad!r}")
    return stems


class Document(NamedTuple):
    """A service's stems as stored: all of them, in order, and those of its name (which start them)."""

    stems: Sequence[str]
    name_stems: Sequence[str]


def search_document(dialect_name: str, stems: Sequence[str]) -> str:
    """A document as stored: a tsvector literal with positions on PostgreSQL, the stems on SQLite."""
    if dialect_name == "postgresql":
        return " ".join(f"{stem}:{min(i, _MAX_TSVECTOR_POSITION)}" for i, stem in enumerate(_checked(stems), 1))
    return " ".join(_checked(stems))


# The stems as text, by service (migration 0006): SQLite's FTS5 indexes this table's
# `document` (external content, kept in step by triggers); PostgreSQL keeps `stems`
# beside the tsvector. Both keep the name's stems apart (migration 0017).
_stems_metadata = MetaData()
_SQLITE_STEMS = Table(STEMS_TABLE, _stems_metadata, Column("service_id", Uuid()), Column("document", Text()),
                      Column("name_stems", Text()))
_POSTGRES_STEMS = Table(SEARCH_TABLE, _stems_metadata, Column("service_id", Uuid()), Column("stems", Text()),
                        Column("name_stems", Text()))


def search_stems(dialect_name: str) -> tuple[Column[Any], Column[Any]]:
    """(service_id, stems) columns of the table holding each service's stems as text, in order,
    separated by one space: what a search reads to test and score one service."""
    if dialect_name == "postgresql":
        return _POSTGRES_STEMS.c.service_id, _POSTGRES_STEMS.c.stems
    return _SQLITE_STEMS.c.service_id, _SQLITE_STEMS.c.document


def search_name_stems(dialect_name: str) -> Column[Any]:
    """The column beside search_stems' holding the stems of the service's name alone (null
    until the index writes the document anew)."""
    return (_POSTGRES_STEMS if dialect_name == "postgresql" else _SQLITE_STEMS).c.name_stems




def find_in_text(dialect_name: str, haystack: Any, needle: Any) -> Any:
    """SQL: the 1-based position of needle in haystack, 0 when absent."""
    return func.strpos(haystack, needle) if dialect_name == "postgresql" else func.instr(haystack, needle)


def _document_rows(dialect_name: str, documents: Iterable[tuple[uuid.UUID, Document]]) -> list[dict[str, Any]]:
    rows = [{"service_id": service_id, "document": search_document(dialect_name, document.stems),
             "name_stems": " ".join(_checked(document.name_stems))} for service_id, document in documents]
    if dialect_name == "postgresql":
        for row, (_, document) in zip(rows, documents, strict=True):
            row["stems"] = " ".join(document.stems)
    return rows


def upsert_search_documents(
    session: Session, documents: dict[uuid.UUID, Document], *, new: Collection[uuid.UUID] = frozenset()
) -> None:
    """Store these services' documents, replacing any they had. Those of `new` services,
    which have none yet (a bulk import's creations), are only added."""
    if not documents:
        return
    name = session.get_bind().dialect.name
    rows = _document_rows(name, list(documents.items()))
    if name != "postgresql":
        # The triggers of migration 0006 carry every change into the FTS5 index.
        session.execute(text(
            f"INSERT INTO {STEMS_TABLE} (service_id, document, name_stems) VALUES (:service_id, :document, :name_stems) "
            "ON CONFLICT (service_id) DO UPDATE SET document = excluded.document, name_stems = excluded.name_stems"
        ).bindparams(bindparam("service_id", type_=Uuid())), rows)
        return
    if added := [row for row in rows if row["service_id"] in new]:
        raw = session.connection().connection.driver_connection
        copy_sql = f"COPY {SEARCH_TABLE} (service_id, document, stems, name_stems) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[union-attr]  # PostgreSQL only: the raw connection is psycopg's
            for row in added:
                copy.write_row((row["service_id"], row["document"], row["stems"], row["name_stems"]))
    if replaced := [row for row in rows if row["service_id"] not in new]:
        # One statement for all, from arrays: an executemany would send one per service.
        session.execute(text(
            f"INSERT INTO {SEARCH_TABLE} (service_id, document, stems, name_stems) "
            "SELECT service_id, CAST(document AS tsvector), stems, name_stems "
            "FROM unnest(:service_ids, :documents, :stems, :name_stems) AS d(service_id, document, stems, name_stems) "
            "ON CONFLICT (service_id) DO UPDATE SET document = excluded.document, stems = excluded.stems, "
            "name_stems = excluded.name_stems"
        ).bindparams(
            bindparam("service_ids", [row["service_id"] for row in replaced], type_=ARRAY(Uuid())),
            bindparam("documents", [row["document"] for row in replaced], type_=ARRAY(Text())),
            bindparam("stems", [row["stems"] for row in replaced], type_=ARRAY(Text())),
            bindparam("name_stems", [row["name_stems"] for row in replaced], type_=ARRAY(Text())),
        ))


def delete_search_documents(session: Session, service_ids: Collection[uuid.UUID]) -> None:
    if service_ids:
        table = SEARCH_TABLE if session.get_bind().dialect.name == "postgresql" else STEMS_TABLE
        session.execute(text(f"DELETE FROM {table} WHERE service_id IN :ids").bindparams(
            bindparam("ids", list(service_ids), type_=Uuid(), expanding=True)
        ))


def _render_query(query: PrefixQuery, prefix: str, and_: str, or_: str) -> str:
    def group(parts: Iterable[str], operator: str) -> str:
        return "(" + f" {operator} ".join(parts) + ")"

    return group((
        group((group((prefix.format(stem) for stem in _checked(alternative)), and_) for alternative in word), or_)
        for word in query
    ), and_)


def render_text_query(dialect_name: str, query: PrefixQuery) -> str:
    """The query in the index's own syntax: the value of `text_query` in search_document_match."""
    if dialect_name == "postgresql":
        return _render_query(query, "{}:*", "&", "|")
    return _render_query(query, '"{}"*', "AND", "OR")


def _match_clause(dialect_name: str) -> TextClause:
    if dialect_name == "postgresql":
        return text(
            f"SELECT service_id, ts_rank(document, query) AS relevance "
            f"FROM {SEARCH_TABLE}, CAST(:text_query AS tsquery) AS query WHERE document @@ query"
        )
    # bm25() is lower for better matches.
    return text(
        f"SELECT service_id, -bm25({SEARCH_TABLE}) AS relevance "
        f"FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :text_query"
    )


def search_document_match(dialect_name: str, query: str | None = None) -> Subquery:
    """(service_id, relevance) of the documents that match; higher relevance is better.

    Without `query` the statement keeps `text_query` as a parameter to bind at execution
    (render_text_query), so that statements built on it can be cached.
    """
    clause = _match_clause(dialect_name)
    clause = clause.bindparams(bindparam("text_query", type_=String()) if query is None else bindparam("text_query", query))
    return clause.columns(column("service_id", Uuid()), column("relevance", Float())).subquery("text_matches")


def search_document_matches(session: Session, query: PrefixQuery) -> Subquery:
    """(service_id, relevance) of the documents that match `query`; higher relevance is better."""
    name = session.get_bind().dialect.name
    return search_document_match(name, render_text_query(name, query))
