"""Reading import files: CSV as Dutch Excel writes it, and JSON.

CSV: UTF-8 with or without a byte-order mark, else Windows-1252; `;` or `,` between
cells (whichever the header line has more of). Rows are read one at a time, so a large
file is never held in memory as rows.
"""

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from app.imports.csv_layout import ENTITIES

_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 1 << 20
# What reading JSON that is not JSON raises: bad bytes, bad syntax, or nested too deeply.
JSON_ERRORS = (UnicodeDecodeError, json.JSONDecodeError, RecursionError)


@dataclass
class Source:
    """One uploaded or named file. `entity` None: the file's name tells (services.csv),
    or for JSON the object's keys do (like seed_data/catalogue.json)."""

    name: str
    stream: BinaryIO
    entity: str | None = None

    @property
    def is_json(self) -> bool:
        if self.name.lower().endswith(".json"):
            return True
        start = self.stream.read(64)
        self.stream.seek(0)
        return start.lstrip(_BOM).lstrip()[:1] in (b"{", b"[")


class SourceError(ValueError):
    """A file that cannot be read at all (its type, encoding or structure)."""


def entity_of(name: str) -> str | None:
    """services.csv, Services-2026.csv, middelburg_front-doors.csv -> the entity; else None."""
    words = re.split(r"[^a-z]+", name.lower().replace("front-doors", "front_doors").replace("front_doors", "frontdoors"))
    found = [entity for entity in ENTITIES if entity.replace("_", "") in words]
    return found[0] if len(found) == 1 else None


def normalise_entity(name: str) -> str | None:
    name = name.strip().lower().replace("-", "_")
    return name if name in ENTITIES else None


def _encoding(stream: BinaryIO) -> str:
    """utf-8-sig with a BOM; utf-16 with its BOM (Excel's "Unicode text", tab-separated);
    utf-8 when every byte decodes as such; else cp1252."""
    start = stream.read(len(_BOM))
    stream.seek(0)
    if start == _BOM:
        return "utf-8-sig"
    if start[:2] in _UTF16_BOMS:
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"
    finally:
        stream.seek(0)


def count_rows(stream: BinaryIO) -> int:
    """Lines after the header (a progress bar's total; quoted line breaks make it an estimate)."""
    lines, last = 0, b"\n"
    while chunk := stream.read(_CHUNK):
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    stream.seek(0)
    return max(lines + (last != b"\n") - 1, 0)


def csv_rows(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells) for every row, the header first (row 1).
    Blank rows (a spreadsheet's trailing ;;;;) are skipped. Raises SourceError."""
    text = io.TextIOWrapper(stream, encoding=_encoding(stream), newline="")
    try:
        header = text.readline()
        delimiter = max(",;\t", key=header.count)  # the most frequent; "," when none is
        reader = csv.reader(itertools.chain([header], text), delimiter=delimiter)
        for number, cells in enumerate(reader, 1):
            if any(cell.strip() for cell in cells):
                yield number, cells
    except UnicodeDecodeError as exc:
        raise SourceError("is neither UTF-8, UTF-16 nor Windows-1252 text; save it as CSV (UTF-8)") from exc
    except csv.Error as exc:
        raise SourceError(f"is not readable as CSV: {exc}") from exc
    finally:
        text.detach()


def json_items(source: Source) -> dict[str, list[Any]]:
    """The items per entity: an object with a list per entity, or (for a file whose name
    or form field tells the entity) a list. Raises SourceError."""
    try:
        document = json.load(io.TextIOWrapper(source.stream, encoding="utf-8-sig"))
    except JSON_ERRORS as exc:
        raise SourceError(f"is not valid JSON: {exc}") from exc
    return json_document(document, source.entity)


def json_document(document: Any, entity: str | None = None) -> dict[str, list[Any]]:
    if isinstance(document, list):
        if entity is None:
            raise SourceError("holds a list, but neither its name nor its form field says of what")
        return {entity: document}
    if not isinstance(document, dict):
        raise SourceError("must hold an object with a list per kind of entry (organisations, services, …)")
    unknown = sorted(set(document) - set(ENTITIES))
    if unknown:
        raise SourceError(f"has unknown key(s) {', '.join(unknown)}; the kinds are {', '.join(ENTITIES)}")
    for kind, items in document.items():
        if not isinstance(items, list):
            raise SourceError(f"{kind} must be a list of objects")
    return document
