"""Dutch postcode rules: normalisation and what cannot be a postcode."""

import re

from app.errors import InvalidInput

# ASCII only: a Unicode \d and str.upper() would also take "４３３１" and "ﬀ" (upper: "FF").
_SHAPE = re.compile(r"^([0-9]{4})([A-Za-z]{2})?$")
NOT_ISSUED_LETTERS = frozenset({"SA", "SD", "SS"})


def normalise_postcode(raw: str, field: str = "postcode") -> str:
    """"4331 ab", " 4331AB " -> "4331AB"; "4331" stays a PC4. Refuses what no postcode can be."""
    compact = re.sub(r"\s+", "", raw)  # any white space, a non-breaking one pasted from a page too
    match = _SHAPE.match(compact)
    if not match:
        raise InvalidInput(
            f"'{raw.strip()}' is not a Dutch postcode: it must be 4 digits, optionally followed by 2 letters (e.g. 4331 AB).",
            field=field,
            rule="format",
        )
    digits, letters = match[1], (match[2] or "").upper()
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
    return digits + letters
