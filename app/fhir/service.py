"""Search with offset paging, for any Kind (reads are each Kind's own)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, func
from sqlmodel import Session, select

from app.errors import InvalidInput
from app.fhir import params
from app.fhir.kinds import Include, Kind
from app.visibility import Viewer

# Parameters about the result rather than the match.
RESULT_PARAMS = frozenset({"_count", "_offset", "_format", "_summary", "_include", "_revinclude"})
SUMMARIES = frozenset({"count", "false"})  # _summary=count: the total alone; false: the default
# Result parameters FHIR defines that would change what a client gets, unserved: refused.
RESULT_REFUSED = frozenset({"_elements", "_contained", "_containedType", "_total"})


def _for(key: str, value: str) -> str:
    return f" with the value '{value[:40]}' (only {' or '.join(sorted(SUMMARIES))})" if key == "_summary" else ""


@dataclass(frozen=True)
class SearchResult:
    resources: list[dict[str, Any]]
    total: int
    included: list[dict[str, Any]]  # what _include and _revinclude add: entries of search mode "include"
    applied: list[tuple[str, str]]  # the search parameters used, for the self and paging links
    count: int
    offset: int


def _narrow(
    session: Session, kind: Kind, filters: list[list[ColumnElement[bool]]], name: str, value: str, modifier: str | None
) -> None:
    for clauses, source in zip(filters, kind.sources, strict=True):
        clause = source.clauses.get(name)
        # A parameter a source cannot hold (an organisation for a CBS area) excludes it.
        clauses.append(clause(session, value, modifier) if clause else false())


def search(
    session: Session, kind: Kind, query: Sequence[tuple[str, str]], viewer: Viewer, *, strict: bool
) -> SearchResult:
    """The page of matches at `_offset`, `_count` long, and the total over all sources.

    Unknown parameters are ignored (FHIR's lenient default; the self link shows what was
    used) unless the client asked for `Prefer: handling=strict`. An unsupported modifier
    is always refused: silently dropping it would widen the match."""
    values = dict(query)
    count, offset = params.count(values.get("_count")), params.offset(values.get("_offset"))
    if values.get("_summary") == "count":
        count = 0  # the total alone, as _count=0 gives it
    applied: list[tuple[str, str]] = []
    adding: list[Include] = []  # what _include and _revinclude ask for
    filters: list[list[ColumnElement[bool]]] = [[] for _ in kind.sources]
    words: dict[str, list[str]] = {}  # per parameter whose repeats are words of one query, those words
    for key, value in query:
        name, _, modifier = key.partition(":")
        if name in kind.refused or key in RESULT_REFUSED or (key == "_summary" and value not in SUMMARIES):
            raise InvalidInput(
                f"{key}: FHIR defines this parameter, but this server does not support it{_for(key, value)}; "
                "see /fhir/metadata for those it does.", field=key,
            )
        if key in ("_include", "_revinclude"):
            served = kind.includes if key == "_include" else kind.revincludes
            if value not in served:
                raise InvalidInput(
                    f"{key}={value[:60]}: not served; {key} takes {', '.join(served) or 'no value'} here.", field=key
                )
            applied.append((key, value))
            adding.append(served[value])
        if key in RESULT_PARAMS:
            continue
        param = kind.by_name.get(name)
        if param is None:
            if strict:
                known = ", ".join(p.name for p in kind.params)
                raise InvalidInput(f"{kind.type} has no search parameter '{name}' (known: {known}).", field=name)
            continue
        if modifier and modifier not in param.modifiers:
            raise InvalidInput(f"{key}: the modifier :{modifier} is not supported for {name}.", field=key)
        if not value:
            continue  # FHIR: an empty value is ignored
        if (key, value) in applied:
            continue  # the same condition again narrows nothing, and each costs the database a test
        applied.append((key, value))
        if param.words and not modifier and len(params.alternatives(value)) == 1:
            words.setdefault(name, []).append(value)
            continue
        _narrow(session, kind, filters, name, value, modifier or None)
    for name, texts in words.items():
        # One test of all the words: each repeat as a test of its own makes PostgreSQL plan a
        # join per repeat (50 repeats took past the statement timeout).
        _narrow(session, kind, filters, name, " ".join(texts), None)
    statements = [source.statement().where(*clauses) for source, clauses in zip(kind.sources, filters, strict=True)]
    totals = [session.exec(select(func.count()).select_from(s.subquery())).one() for s in statements]
    resources: list[dict[str, Any]] = []
    skip, room = offset, count
    for source, statement, total in zip(kind.sources, statements, totals, strict=True):
        if room == 0:
            break
        if skip >= total:
            skip -= total
            continue
        page = statement.options(*source.options).order_by(*source.order).offset(skip).limit(room)
        # Sources build their statements with SQLModel's select, so exec returns entities (see kinds._areas).
        rows = list(session.exec(page).all())  # type: ignore[call-overload]
        resources += source.render(session, rows, viewer)
        room, skip = room - len(rows), 0
    included: dict[tuple[str, str], dict[str, Any]] = {}
    for include in adding:
        for resource in include(session, resources, viewer):
            included.setdefault((resource["resourceType"], resource["id"]), resource)
    return SearchResult(resources, sum(totals), list(included.values()), applied, count, offset)
