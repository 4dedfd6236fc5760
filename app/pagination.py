"""One list envelope and opaque, signed keyset cursors for every list."""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, bindparam, tuple_
from sqlmodel import Session

from app.errors import InvalidInput
from app.settings import get_settings, require_secret

T = TypeVar("T")

MAX_LIMIT = 100

LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, at most 100.")]
CursorParam = Annotated[
    str | None, Query(description="The `next_cursor` of the previous page; omit for the first page.")
]


def page_examples(schema: dict[str, Any], page: type[BaseModel], field: str, envelope: dict[str, Any]) -> None:
    """Examples for a page model: one page holding the example of its item model, if that has one."""
    (item,) = getattr(page.model_fields[field].annotation, "__args__", (None,))
    extra = getattr(item, "model_config", {}).get("json_schema_extra")
    if isinstance(extra, dict) and extra.get("examples"):
        schema["examples"] = [{**envelope, field: extra["examples"][:1]}]


class Page(BaseModel, Generic[T]):
    model_config = ConfigDict(json_schema_extra=lambda schema, page: page_examples(
        schema, page, "items", {"next_cursor": "x7Gm2Qp9eyJzIjoic2VydmljZXMifQ", "limit": 20},
    ))

    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    limit: int


def _mac(message: bytes) -> bytes:
    settings = get_settings()
    require_secret(settings)
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).digest()  # type: ignore[union-attr]


def _sign(payload: bytes) -> bytes:
    return _mac(payload)[:16]


def keyed_scope(kind: str, criteria: str) -> str:
    """A cursor scope that binds a cursor to `criteria` without carrying them: a MAC under
    the server secret. A cursor's scope travels in the clear, so a plain hash of criteria
    that hold a patient's values would let anyone holding the cursor try every age and
    income until one matched; without the secret there is nothing to try against. (The
    prefix keeps these MACs apart from cursor signatures, which sign JSON.)"""
    return f"{kind}:{_mac(b'scope:' + criteria.encode()).hex()[:32]}"


def _to_json(value: Any) -> Any:
    if isinstance(value, (uuid.UUID, date, datetime)):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


def encode_cursor(scope: str, key: Sequence[Any]) -> str:
    payload = json.dumps({"s": scope, "k": [_to_json(v) for v in key]}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(_sign(payload) + payload).decode().rstrip("=")


def decode_cursor(
    scope: str, cursor: str, columns: Sequence[ColumnElement[Any]], field: str = "cursor"
) -> list[Any]:
    tampered = InvalidInput("The cursor is not one this list handed out; start again without it.", field=field)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        signature, payload = raw[:16], raw[16:]
        if not hmac.compare_digest(signature, _sign(payload)):
            raise tampered
        data = json.loads(payload)
    except (ValueError, TypeError) as exc:
        raise tampered from exc
    if data.get("s") != scope or len(data.get("k", [])) != len(columns):
        raise tampered
    return [_from_json(column, value) for column, value in zip(columns, data["k"], strict=True)]


def _from_json(column: ColumnElement[Any], value: Any) -> Any:
    python_type = column.type.python_type
    if value is None or isinstance(value, python_type):
        return value
    if python_type in (date, datetime):
        return python_type.fromisoformat(value)
    return python_type(value)


def keyset_page(
    session: Session,
    statement: Select[Any],
    *,
    scope: str,
    order: Sequence[ColumnElement[Any]],
    cursor: str | None,
    limit: int,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """Run `statement` ordered by `order` (ending in a unique column), one page after `cursor`.

    Returns the rows and the cursor of the next page. The rows are entities; the
    next cursor's key is read from their attributes named like the order columns.
    """
    if cursor is not None:
        after = decode_cursor(scope, cursor, order)
        # Bound with the columns' own types: a timestamp compares as the column stores it.
        key = tuple_(*order)
        bound = tuple_(*(bindparam(None, value, type_=column.type) for column, value in zip(order, after, strict=True)))
        statement = statement.where(key < bound if descending else key > bound)
    ordering = [column.desc() for column in order] if descending else order
    rows = list(session.exec(statement.order_by(*ordering).limit(limit + 1)).all())  # type: ignore[call-overload]  # SQLModel's exec overloads know its own select, not SQLAlchemy's Select it extends
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(scope, [getattr(last, str(column.key)) for column in order])
