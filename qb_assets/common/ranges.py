"""Integer ranges as people type them: '1-4' -> [1, 2, 3, 4], '1,3,5-6' -> [1, 3, 5, 6]."""

from __future__ import annotations


def parse_int_ranges(text: str) -> list[int]:
    values: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, _, last = part.partition("-")
        try:
            values.extend(range(int(first), int(last or first) + 1))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a range like 1-4 or 1,3,5") from exc
    return values
