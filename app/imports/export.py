"""CSV export in the import layout: what a key may change, as Dutch Excel opens it.

An export holds exactly the entries the actor may write (the same authorize_write as
every save), so exporting, editing and importing the file back never trips the scope
check, and an unchanged file imports as all "unchanged".
"""

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, col, select

from app.clients.models import Role
from app.clients.scope import Actor, authorize_write
from app.entity import is_live
from app.errors import DomainError, Forbidden
from app.imports.batch import KINDS
from app.imports.csv_layout import LAYOUTS, write_row

_PAGE = 1000


def _entries(session: Session, entity: str) -> Iterator[Any]:
    """Live entries in id order, a page at a time, so a large catalogue never sits in memory."""
    kind = KINDS[entity]
    last = None
    while True:
        statement = select(kind.model).where(is_live(kind.model)).options(*kind.load).order_by(col(kind.model.id)).limit(_PAGE)
        if last is not None:
            statement = statement.where(col(kind.model.id) > last)
        page = session.exec(statement).all()
        yield from page
        if len(page) < _PAGE:
            return
        last = page[-1].id
        session.expunge_all()


def export_csv(session: Session, entity: str, actor: Actor, gemeente: str | None = None, delimiter: str = ";") -> str:
    """The entries of one kind that `actor` may change (and `gemeente` owns), as CSV with a
    byte-order mark; with `;` numbers get decimal commas, as in Dutch Excel."""
    principal = actor.principal
    if gemeente and principal and principal.role == Role.editor and gemeente not in principal.gemeenten:
        raise Forbidden(f"This key maintains {', '.join(sorted(principal.gemeenten))}, not {gemeente}.", field="gemeente")
    kind = KINDS[entity]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([column.name for column in LAYOUTS[entity]])
    for entry in _entries(session, entity):
        data = kind.as_write(entry)
        owned = kind.ownership(session, data)
        if gemeente and gemeente not in owned.gemeenten:
            continue
        try:
            authorize_write(actor, owned, None)
        except DomainError:
            continue
        writer.writerow(write_row(entity, data, decimal_comma=delimiter == ";"))
    return out.getvalue()
