"""Referral codes: short enough to read aloud or print, unguessable, with a check character.

A code is ten random Crockford base32 characters (50 bits from `secrets`) and one check
character (Luhn mod 32), shown as WK-XXXX-XXXX-XXX. The check character refuses any code with
one character changed, and most with two neighbours swapped, before the database is asked.
Reading is lenient as Crockford intends: case, dashes and spaces do not matter, O reads as
0 and I and L as 1.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
PREFIX = "WK"
RANDOM_LENGTH = 10
ENTROPY_BITS = RANDOM_LENGTH * 5


def _check_symbol(symbols: str) -> str:
    """Luhn mod N over the base-32 values: every single substitution changes the sum."""
    total = 0
    for position, symbol in enumerate(reversed(symbols)):
        addend = _VALUE[symbol] * (2 if position % 2 == 0 else 1)
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def _shown(body: str) -> str:
    return f"{PREFIX}-{body[0:4]}-{body[4:8]}-{body[8:]}"


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return _shown(body + _check_symbol(body))


def canonical(text: str) -> str | None:
    """The code as stored (WK-XXXX-XXXX-XXX), or None when `text` is not a code whose check
    character fits."""
    body = text.upper().replace("-", "").replace(" ", "").translate(_ALIASES)
    if len(body) == len(PREFIX) + RANDOM_LENGTH + 1:  # a body may itself begin with WK
        body = body.removeprefix(PREFIX)
    if len(body) != RANDOM_LENGTH + 1 or any(symbol not in _VALUE for symbol in body):
        return None
    if _check_symbol(body[:-1]) != body[-1]:
        return None
    return _shown(body)
