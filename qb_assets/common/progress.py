"""The progress callback every long-running library function accepts.

A ``Progress`` takes one human-readable line (``"[3/17] season 2024 week 3: 1,024 plays ..."``). The
command line passes a function that prints to stderr, the Dagster assets pass ``context.log.info``,
and tests and benchmarks pass nothing (``None``: no progress is reported).
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]
