"""How text is kept and compared: stored in Unicode NFC, matched without case or accents.

One folding function serves every match: the search index's stems and every text search
through them (app/search/text.py), and, through app.dialect.folded, FHIR's `:contains` in SQL. NFC on input
(app/fields.py, the bulk import) makes "Coöperatie" one string, however a keyboard or a
file composed its ö.
"""

import unicodedata
from typing import Any


def nfc(text: str) -> str:
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text  # nothing to compose: the usual case, without a copy
    return unicodedata.normalize("NFC", text)


def nfc_everywhere(value: Any) -> Any:
    """Every string in a value as NFC, also inside lists and dicts (a JSON document)."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, list | tuple):
        return type(value)(nfc_everywhere(item) for item in value)
    if isinstance(value, dict):
        return {key: nfc_everywhere(item) for key, item in value.items()}
    return value


class _WithoutCombiningMarks(dict[int, str | None]):
    """A str.translate table that deletes combining characters, filled as characters
    come: translate then runs at C speed, unlike a loop over the characters."""

    def __missing__(self, code: int) -> str | None:
        self[code] = None if unicodedata.combining(chr(code)) else chr(code)
        return self[code]


_STRIP_MARKS = _WithoutCombiningMarks()


def fold(text: str) -> str:
    """Lower-case without accents: "Financiën" -> "financien"."""
    if text.isascii():
        return text.lower()  # nothing to strip
    return unicodedata.normalize("NFKD", text.lower()).translate(_STRIP_MARKS)


# The letters with accents of the Latin blocks and the combining marks: those that SQL folds
# the way `fold` does (app.dialect.folded, where a database has no function of ours).
_LATIN = [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]
_MARKS = range(0x300, 0x370)


def fold_table() -> tuple[str, str, str]:
    """(letters, their folded letters, characters deleted): `fold` as SQL's translate() can do it."""
    letters, folded = [], []
    for code in _LATIN:
        letter = chr(code)
        result = fold(letter)
        if len(result) == 1 and result != letter:
            letters.append(letter)
            folded.append(result)
    return "".join(letters), "".join(folded), "".join(chr(code) for code in _MARKS)
