"""A test-only pause inside a warehouse load, so that a test can query the warehouse while a load is in
flight at a moment it chooses rather than by luck of timing (tests/integration/
test_production_end_to_end.py).

With ``QB_TEST_HOLD_LOADS=FOLDER`` in a run's environment, the load of a partition whose file
``FOLDER/hold-<season>-<week>`` exists stops inside its open transaction, after writing its rows and
before its commit, creates ``FOLDER/held-<season>-<week>`` to say so, and goes on once the hold file is
removed (a ``TimeoutError`` after ``HOLD_TIMEOUT_S``). Without the variable (production) nothing happens.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

HOLD_LOADS_ENV = "QB_TEST_HOLD_LOADS"
HOLD_TIMEOUT_S = 600.0
_POLL_S = 0.1


def hold_file(folder: str | Path, season: int, week: int) -> Path:
    """The file whose presence holds the load of (season, week)."""
    return Path(folder) / f"hold-{season}-{week}"


def held_file(folder: str | Path, season: int, week: int) -> Path:
    """The file a held load of (season, week) creates once it is waiting inside its transaction."""
    return Path(folder) / f"held-{season}-{week}"


def hold_if_asked(season: int, week: int) -> None:
    """Wait here while ``QB_TEST_HOLD_LOADS`` names a folder holding this partition's hold file."""
    folder = os.environ.get(HOLD_LOADS_ENV)
    if not folder or not hold_file(folder, season, week).exists():
        return
    held_file(folder, season, week).touch()
    deadline = time.monotonic() + HOLD_TIMEOUT_S
    while hold_file(folder, season, week).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{hold_file(folder, season, week)} was not removed within {HOLD_TIMEOUT_S:.0f} s "
                f"({HOLD_LOADS_ENV} is for tests only: unset it)"
            )
        time.sleep(_POLL_S)
