"""Reading the publishers' area and postcode files, each recognised by its header.

Layouts read:
- CBS label points: statcode,statnaam,rubriek,lat,lon[,provincie,...] (gemeenten, wijken or buurten)
- the CBS gemeenten list: Gemeentecode,GemeentecodeGM,Gemeentenaam,Provinciecode,ProvinciecodePV,Provincienaam
- the 4pp PC4 list: id,postcode,woonplaats,...,gemeente,provincie,...,latitude,longitude,soort
- the CBS PC6-huisnummer-buurt table: PC6;Huisnummer;Buurt<year>;Wijk<year>;Gemeente<year> (codes unprefixed)
- a successor list (herindeling): old_code,new_code,year (or oude_code,nieuwe_code,jaar)
Comma or semicolon separated; decimal commas are read too. Codes stay strings.
"""

import csv
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.areas.models import AreaKind, PostcodeKind
from app.errors import InvalidInput

_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")
_KIND_BY_PREFIX = {"GM": AreaKind.gemeente, "WK": AreaKind.wijk, "BU": AreaKind.buurt}
# CBS's province codes (ProvinciecodePV) and the names PC4 lists use.
PROVINCES = {
    "PV20": "groningen", "PV21": "fryslan", "PV22": "drenthe", "PV23": "overijssel", "PV24": "flevoland",
    "PV25": "gelderland", "PV26": "utrecht", "PV27": "noord holland", "PV28": "zuid holland", "PV29": "zeeland",
    "PV30": "noord brabant", "PV31": "limburg",
}
SOORT_TO_KIND = {
    "adres": PostcodeKind.address, "postbus": PostcodeKind.po_box,
    "adres + postbus": PostcodeKind.address_and_po_box, "onbekend": PostcodeKind.unknown,
}
# Names that differ in more than form between the PC4 lists and CBS.
_NAME_ALIASES = {"den haag": "s gravenhage", "den bosch": "s hertogenbosch", "friesland": "fryslan"}


def normalise_name(name: str) -> str:
    """"Middelburg (Z.)" -> "middelburg", "'s-Gravenhage" and "Den Haag" -> "s gravenhage"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    plain = re.sub(r"\(.*?\)", " ", plain)
    plain = re.sub(r"[^a-z0-9]+", " ", plain).strip()
    return _NAME_ALIASES.get(plain, plain)


@dataclass
class AreaRow:
    code: str
    name: str
    lat: float | None = None
    lon: float | None = None
    province: str | None = None  # normalised name, when the file gives one


@dataclass
class AreaList:
    """One kind's areas of one year: a national list, so codes missing from it have retired."""

    file: str
    kind: AreaKind
    year: int
    rows: list[AreaRow]


@dataclass
class Pc4Row:
    pc4: str
    place: str | None
    gemeente_name: str
    province: str | None
    lat: float | None
    lon: float | None
    kind: PostcodeKind


@dataclass
class Pc4List:
    file: str
    rows: list[Pc4Row]


@dataclass
class Pc6Table:
    """Per PC6 the buurt most of its addresses lie in, and the gemeente of each."""

    file: str
    year: int | None
    buurt_of: dict[str, str]
    gemeente_of: dict[str, str]
    rows: int
    skipped: int


@dataclass
class Successor:
    old_code: str
    new_code: str
    year: int


@dataclass
class SuccessorList:
    file: str
    rows: list[Successor]
    problems: list[str] = field(default_factory=list)


Source = AreaList | Pc4List | Pc6Table | SuccessorList


def _number(value: str | None) -> float | None:
    value = (value or "").strip()
    return float(value.replace(",", ".")) if value else None


def _open(path: Path) -> Iterator[str]:
    """Lines of a text file: UTF-8 (with or without BOM), else Windows-1252 as older CBS files."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            handle.read(1 << 16)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1252"
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        yield from handle


def _reader(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    lines = _open(path)
    first = next(lines, "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter), [])
    return [name.strip() for name in header], csv.reader(lines, delimiter=delimiter)


def year_of(path: Path, header: list[str], given: int | None) -> int | None:
    """The option, else a year in the file name, else one in the header (Buurt2024)."""
    if given is not None:
        return given
    for text in (path.stem, " ".join(header)):
        if match := _YEAR.search(text):
            return int(match.group(1))
    return None


def _need_year(path: Path, year: int | None) -> int:
    if year is None:
        raise InvalidInput(
            f"{path.name}: no year in the file name or header; pass --year.", field="year", file=path.name
        )
    return year


def _label_points(path: Path, header: list[str], rows: Iterator[list[str]], year: int | None) -> list[AreaList]:
    at = {name.lower(): i for i, name in enumerate(header)}
    by_kind: dict[AreaKind, list[AreaRow]] = {}
    for row in rows:
        if not row or not row[at["statcode"]].strip():
            continue
        code = row[at["statcode"]].strip().upper()
        kind = _KIND_BY_PREFIX.get(code[:2])
        if kind is None:
            continue
        province = row[at["provincie"]].strip().upper() if "provincie" in at else ""
        by_kind.setdefault(kind, []).append(AreaRow(
            code, row[at["statnaam"]].strip(), _number(row[at["lat"]]), _number(row[at["lon"]]),
            PROVINCES.get(province) or (normalise_name(province) if province else None),
        ))
    return [AreaList(path.name, kind, _need_year(path, year), items) for kind, items in by_kind.items()]


def _gemeente_list(path: Path, header: list[str], rows: Iterator[list[str]], year: int | None) -> list[AreaList]:
    at = {name.lower(): i for i, name in enumerate(header)}
    items = []
    for row in rows:
        if not row:
            continue
        code = row[at["gemeentecodegm"]].strip().upper() if "gemeentecodegm" in at else ""
        code = code or "GM" + row[at["gemeentecode"]].strip().zfill(4)
        province = row[at["provincienaam"]].strip() if "provincienaam" in at else ""
        items.append(AreaRow(code, row[at["gemeentenaam"]].strip(), province=normalise_name(province) or None))
    return [AreaList(path.name, AreaKind.gemeente, _need_year(path, year), items)]


def _pc4_list(path: Path, header: list[str], rows: Iterator[list[str]], _year: int | None) -> list[Pc4List]:
    at = {name.lower(): i for i, name in enumerate(header)}
    items = []
    for row in rows:
        if not row or not row[at["postcode"]].strip():
            continue
        soort = row[at["soort"]].strip().lower() if "soort" in at else "adres"
        items.append(Pc4Row(
            pc4=row[at["postcode"]].strip(), place=row[at["woonplaats"]].strip() or None,
            gemeente_name=row[at["gemeente"]].strip(), province=normalise_name(row[at["provincie"]]) or None,
            lat=_number(row[at["latitude"]]), lon=_number(row[at["longitude"]]),
            kind=SOORT_TO_KIND.get(soort, PostcodeKind.unknown),
        ))
    return [Pc4List(path.name, items)]


def _prefixed(prefix: str, code: str, width: int) -> str:
    code = code.strip().upper()
    return code if code.startswith(prefix) else prefix + code.zfill(width)


def _pc6_table(path: Path, header: list[str], rows: Iterator[list[str]], year: int | None) -> list[Pc6Table]:
    """Streams the table (about 8 million address rows nationally) into one buurt per PC6."""
    lower = [name.lower() for name in header]
    pc6_at = lower.index("pc6")
    buurt_at = next(i for i, name in enumerate(lower) if name.startswith("buurt"))
    gemeente_at = next(i for i, name in enumerate(lower) if name.startswith("gemeente"))
    counts: dict[str, dict[str, int]] = {}
    gemeenten: dict[str, str] = {}
    total = skipped = 0
    for row in rows:
        if not row:
            continue
        total += 1
        pc6 = row[pc6_at].replace(" ", "").upper()
        buurt = row[buurt_at].strip()
        if len(pc6) != 6 or not buurt or buurt in ("-", "0"):
            skipped += 1
            continue
        per_buurt = counts.setdefault(pc6, {})
        code = _prefixed("BU", buurt, 8)
        per_buurt[code] = per_buurt.get(code, 0) + 1
        if gemeente := row[gemeente_at].strip():
            gemeenten.setdefault(pc6, _prefixed("GM", gemeente, 4))
    buurt_of = {pc6: max(sorted(per_buurt), key=per_buurt.__getitem__) for pc6, per_buurt in counts.items()}
    return [Pc6Table(path.name, year_of(path, header, year), buurt_of, gemeenten, total, skipped)]


def _column(at: dict[str, int], *names: str) -> int | None:
    return next((at[name] for name in names if name in at), None)


_OLD = ("old_code", "oude_code", "old", "oud", "code_oud")
_NEW = ("new_code", "nieuwe_code", "new", "nieuw", "code_nieuw")
_WHEN = ("year", "jaar")


def _gemeente_code(code: str) -> str:
    code = code.strip().upper()
    return "GM" + code.zfill(4) if code.isascii() and code.isdigit() else code


def _successor_list(path: Path, header: list[str], rows: Iterator[list[str]], year: int | None) -> list[SuccessorList]:
    at = {name.lower(): i for i, name in enumerate(header)}
    old_at, new_at, year_at = _column(at, *_OLD), _column(at, *_NEW), _column(at, *_WHEN)
    result = SuccessorList(path.name, [])
    for number, row in enumerate(rows, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        when = row[year_at].strip() if year_at is not None and year_at < len(row) else ""
        when_year = int(when) if when.isascii() and when.isdigit() else year
        if when_year is None:
            result.problems.append(f"{path.name} row {number}: no year")
            continue
        result.rows.append(Successor(_gemeente_code(row[old_at]), _gemeente_code(row[new_at]), when_year))  # type: ignore[index]  # both column indexes were found in the header above
    return [result]


def _layout(header: list[str]) -> Callable[..., list] | None:
    names = {name.lower() for name in header}
    if {"statcode", "statnaam", "lat", "lon"} <= names:
        return _label_points
    if {"gemeentenaam"} <= names and names & {"gemeentecode", "gemeentecodegm"}:
        return _gemeente_list
    if {"postcode", "gemeente", "latitude", "longitude"} <= names:
        return _pc4_list
    if "pc6" in names and any(n.startswith("buurt") for n in names) and any(n.startswith("gemeente") for n in names):
        return _pc6_table
    if names & set(_OLD) and names & set(_NEW):
        return _successor_list
    return None


def read_source(path: Path, year: int | None = None) -> list[Source]:
    """The lists one file holds; refuses (InvalidInput) a file whose header it does not know."""
    header, rows = _reader(path)
    read = _layout(header)
    if read is None:
        raise InvalidInput(
            f"{path.name}: not a known area or postcode layout (header: {', '.join(header[:8]) or 'empty'}).",
            field="files", file=path.name,
        )
    return read(path, header, rows, year_of(path, header, year))


def expand_paths(arguments: list[Path]) -> list[Path]:
    """Files as given, and the .csv files of directories (sorted)."""
    paths: list[Path] = []
    for argument in arguments:
        if argument.is_dir():
            paths += sorted(p for p in argument.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
        elif argument.is_file():
            paths.append(argument)
        else:
            raise InvalidInput(f"{argument}: no such file or directory.", field="files", file=str(argument))
    return paths
