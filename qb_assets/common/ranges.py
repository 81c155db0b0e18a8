"""Integer ranges as people type them: '1-4' -> [1, 2, 3, 4], '1,3,5-6' -> [1, 3, 5, 6], and back."""

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


def format_int_ranges(values: list[int]) -> str:
    """The inverse of ``parse_int_ranges``: [1, 2, 3, 5] -> '1-3,5'."""
    runs: list[list[int]] = []
    for value in sorted(set(values)):
        if runs and value == runs[-1][-1] + 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    return ",".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)
