"""Dutch postcode rules: normalisation and what cannot be a postcode."""

import re

from app.errors import InvalidInput

_SHAPE = re.compile(r"^(\d{4})([A-Z]{2})?$")
NOT_ISSUED_LETTERS = frozenset({"SA", "SD", "SS"})


def normalise_postcode(raw: str, field: str = "postcode") -> str:
    """"4331 ab", " 4331AB " -> "4331AB"; "4331" stays a PC4. Refuses what no postcode can be."""
    compact = re.sub(r"\s+", "", raw).upper()
    match = _SHAPE.match(compact)
    if not match:
        raise InvalidInput(
            f"'{raw.strip()}' is not a Dutch postcode: it must be 4 digits, optionally followed by 2 letters (e.g. 4331 AB).",
            field=field,
            rule="format",
        )
    digits, letters = match.groups()
    if digits[0] == "0":
        raise InvalidInput(
            f"'{raw.strip()}' is not a Dutch postcode: the first digit is never 0.", field=field, rule="leading-zero"
        )
    if letters in NOT_ISSUED_LETTERS:
        raise InvalidInput(
            f"'{raw.strip()}' is not a Dutch postcode: the letter pairs SA, SD and SS are not issued.",
            field=field,
            rule="letters-not-issued",
        )
    return compact
