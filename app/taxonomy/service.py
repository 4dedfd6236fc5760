"""Reading the vocabularies, and checking codes against them."""

from collections.abc import Iterable, Mapping
from typing import TypeVar

from sqlmodel import Session, col, select

from app.errors import InvalidInput
from app.taxonomy.models import NeedDomain, TargetGroup
from app.taxonomy.schemas import Taxonomy, Term
from app.taxonomy.vocabulary import ACCESS_ROUTE_LABELS, HOUSEHOLD_TYPE_LABELS, STATUTORY_ROUTE_LABELS

_Code = TypeVar("_Code", bound=str)


def _terms(labels: Mapping[_Code, tuple[str, str]]) -> list[Term]:
    return [Term(code=code, label=nl, label_en=en) for code, (nl, en) in labels.items()]


def get_taxonomy(session: Session) -> Taxonomy:
    domains = [
        Term(code=d.code, label=d.label, label_en=d.label_en)
        for d in session.exec(select(NeedDomain).order_by(col(NeedDomain.position))).all()
    ]
    groups = [
        Term(code=g.code, label=g.label, label_en=g.label_en)
        for g in session.exec(select(TargetGroup).order_by(col(TargetGroup.position))).all()
    ]
    statutory = _terms(STATUTORY_ROUTE_LABELS)
    return Taxonomy(
        need_domains=domains,
        target_groups=groups,
        access_routes=_terms(ACCESS_ROUTE_LABELS),
        statutory_routes=statutory,
        front_door_topics=domains + statutory,
        household_types=_terms(HOUSEHOLD_TYPE_LABELS),
    )


def require_need_domains(session: Session, codes: Iterable[str], field: str) -> None:
    _require(session, NeedDomain, set(codes), field, "need domain")


def require_target_groups(session: Session, codes: Iterable[str], field: str) -> None:
    _require(session, TargetGroup, set(codes), field, "target group")


def _require(session: Session, table: type[NeedDomain] | type[TargetGroup], wanted: set[str], field: str, what: str) -> None:
    found = set(session.exec(select(table.code).where(col(table.code).in_(wanted))).all())
    if missing := sorted(wanted - found):
        raise InvalidInput(
            f"Unknown {what} code(s): {', '.join(missing)}; see GET /api/v1/taxonomy.", field=field
        )


def require_front_door_topics(session: Session, codes: Iterable[str], field: str) -> None:
    """422 on `field` unless every code is a need domain or a statutory route.

    The thirteen domains are compared in Python, so a value the database would refuse
    (a NUL character) is an unknown topic too, not a database error."""
    known = set(STATUTORY_ROUTE_LABELS) | set(session.exec(select(NeedDomain.code)).all())
    if missing := sorted(set(codes) - known):
        raise InvalidInput(
            f"Unknown topic(s): {', '.join(missing)}; a front door's topic is a need domain or a statutory "
            "route, see GET /api/v1/taxonomy.",
            field=field,
        )
