"""CBS area codes and postcode resolution."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.areas.models import Area, Postcode4Buurt
from app.areas.service import area_kind_of, derive_pc4_buurten, parent_code_of, resolve_postcode, save_area
from app.errors import InvalidInput, NotFound, PostcodeNotResidential
from app.postcode import normalise_postcode
from tests.support.factories import ACTOR, BUURT, GEMEENTE, OTHER_BUURT, WIJK, make_region


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("4331 ab", "4331AB"), (" 4331AB ", "4331AB"), ("4331ab", "4331AB"), ("4331", "4331"), ("1012 FY", "1012FY"),
     ("4331\u00a0AB", "4331AB")],  # a non-breaking space, as pasted from a web page
)
def test_postcodes_are_normalised(raw: str, canonical: str) -> None:
    assert normalise_postcode(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "rule"),
    [("0331AB", "leading-zero"), ("4331SA", "letters-not-issued"), ("4331 SS", "letters-not-issued"),
     ("4331SD", "letters-not-issued"), ("433", "format"), ("43311AB", "format"), ("4331A", "format"),
     ("ABCD", "format"), ("", "format"),
     # Digits and letters are ASCII: not full-width or Arabic-Indic digits, nor a ligature that upper-cases to FF.
     ("\uff14\uff13\uff13\uff11AB", "format"), ("\u0664\u0663\u0663\u0661AB", "format"), ("4331\ufb00", "format")],
)
def test_what_cannot_be_a_postcode_is_refused_naming_the_rule(raw: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_postcode(raw)
    assert caught.value.extra["rule"] == rule
    assert caught.value.field == "postcode"


def test_area_codes_and_their_parents() -> None:
    assert area_kind_of("GM0687") == "gemeente"
    assert area_kind_of("WK0363AF") == "wijk"
    assert parent_code_of("WK0363AF") == "GM0363"
    assert parent_code_of("BU0363AF01") == "WK0363AF"
    for bad in ("GM687", "WK06870", "BU0687000", "XX068700", "wk068700", "BU0687000a", "GM\uff10\uff16\uff18\uff17"):
        with pytest.raises(InvalidInput):
            area_kind_of(bad)


def test_the_database_refuses_a_code_whose_parent_prefix_does_not_match(session) -> None:
    make_region(session)
    session.add(Area(code="WK990201", kind="wijk", name="Verkeerd", parent_code=GEMEENTE))
    with pytest.raises(IntegrityError):
        session.flush()


def test_saving_an_area_checks_kind_and_parent(session) -> None:
    make_region(session)
    with pytest.raises(InvalidInput):
        save_area(session, {"code": "BU99010201", "kind": "buurt", "name": "x", "parent_code": WIJK}, ACTOR)


def test_pc6_with_its_own_row_resolves_to_one_buurt(session) -> None:
    make_region(session)
    result = resolve_postcode(session, "9901 ab")
    assert result.postcode == "9901AB"
    assert result.resolved_via == "pc6"
    assert [b.code for b in result.buurten] == [OTHER_BUURT]
    assert (result.lat, result.lon) == (51.501, 3.62)
    assert result.gemeente and result.gemeente.code == GEMEENTE
    assert [w.code for w in result.wijken] == [WIJK]


def test_pc6_without_a_row_falls_back_to_its_pc4_and_says_so(session) -> None:
    make_region(session)
    result = resolve_postcode(session, "9901XY")
    assert result.resolved_via == "pc4"
    assert [b.code for b in result.buurten] == [BUURT, OTHER_BUURT]
    assert (result.lat, result.lon) == (51.5, 3.61)


def test_unknown_and_postbus_postcodes(session) -> None:
    make_region(session)
    with pytest.raises(NotFound, match="9999"):
        resolve_postcode(session, "9999")
    with pytest.raises(PostcodeNotResidential, match="PO boxes"):
        resolve_postcode(session, "9900AA")


def test_pc4_buurten_are_derived_from_points_and_flagged_approximate(session) -> None:
    make_region(session)
    session.exec(select(Postcode4Buurt)).all()
    for link in session.exec(select(Postcode4Buurt)).all():
        session.delete(link)
    session.flush()
    derive_pc4_buurten(session, [GEMEENTE])
    links = session.exec(select(Postcode4Buurt).where(Postcode4Buurt.pc4 == "9901")).all()
    # The only residential PC4 of the gemeente is nearest to both buurten.
    assert sorted(link.buurt_code for link in links) == [BUURT, OTHER_BUURT]
    assert all(link.approximate for link in links)
    # The postbus PC4 gets none: nobody lives there.
    assert session.exec(select(Postcode4Buurt).where(Postcode4Buurt.pc4 == "9900")).all() == []
