"""Small-cell suppression: no count of 1 to 4 leaves the API, nor can be worked out from the rest.

A count of 1 to 4 is shown as "<5" (primary suppression): with a practice, a service and a
month it can point at a patient in a village. A table also publishes sums (a cell's total is
the sum of its statuses; its afgesloten the sum of its outcomes): where a sum and all but one
of its terms were shown, the hidden one would follow by subtraction. So each sum is checked:
while what is hidden in it can be pinned to one value, from what is shown and from the
ranges the markers tell ("<5": 1 to 4; "x", hidden to protect another count: 5 or more), the
smallest shown non-zero member of that sum is hidden as well (complementary suppression).
"""

from collections.abc import Iterable, Sequence
from math import inf
from typing import Any

THRESHOLD = 5
SMALL = "<5"  # a count of 1 to 4
PROTECTING = "x"  # a count of 5 or more, hidden so that a "<5" next to it cannot be worked out

Count = int | str


def _bounds(value: int) -> tuple[float, float]:
    """What a reader knows of a hidden count from its marker."""
    return (1, THRESHOLD - 1) if value < THRESHOLD else (THRESHOLD, inf)


def pinned(values: dict[str, int], hidden: set[str], total: str, parts: Sequence[str]) -> bool:
    """Whether a hidden member of `total` = sum(`parts`) can be worked out from the shown members
    and the markers' ranges. Written as sum(sign * member) = 0, each hidden member's possible
    values are those its own range shares with what the others' ranges leave it; an integer
    interval of one value pins it."""
    signs = {total: -1, **{name: 1 for name in parts}}
    known = sum(sign * values[name] for name, sign in signs.items() if name not in hidden)
    unknown = [name for name in signs if name in hidden]
    for name in unknown:
        low, high = 0.0, 0.0  # the range of the other hidden members' signed sum
        for other in unknown:
            if other != name:
                a, b = _bounds(values[other])
                low, high = (low + a, high + b) if signs[other] > 0 else (low - b, high - a)
        # signs[name] * member = -(known + others)
        a, b = -(known + high), -(known + low)
        if signs[name] < 0:
            a, b = -b, -a
        own_low, own_high = _bounds(values[name])
        if min(b, own_high) - max(a, own_low) < 1:
            return True
    return False


def suppress(values: dict[str, int], sums: Iterable[tuple[str, Sequence[str]]]) -> dict[str, Count]:
    """`values` with every count of 1 to 4 replaced by "<5", and as many other counts by "x"
    as it takes that no hidden count in any of `sums` (total, parts) can be worked out."""
    hidden = {name for name, value in values.items() if 0 < value < THRESHOLD}
    if not hidden:
        return dict(values)  # nothing small: no sum can give anything away
    sums = list(sums)
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            if pinned(values, hidden, total, parts):
                candidates = [name for name in (*parts, total) if name not in hidden and values[name] > 0]
                if not candidates:
                    continue
                hidden.add(min(candidates, key=lambda name: values[name]))
                changed = True
    return {name: (SMALL if value < THRESHOLD else PROTECTING) if name in hidden else value
            for name, value in values.items()}


def shown(value: Any) -> bool:
    return isinstance(value, int)
