"""The test-only hold inside a warehouse load (``qb_assets/warehouse/hold.py``): a load whose partition
has a hold file waits inside its transaction and says so; removing the file lets it commit; other
partitions, and every load without ``QB_TEST_HOLD_LOADS``, never wait."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from qb_assets.warehouse import load as wh
from qb_assets.warehouse.hold import HOLD_LOADS_ENV, held_file, hold_file
from tests.warehouse.fabricated import SCORES, SEASON, counts, partition_tables


def _wait_for(path: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_held_load_waits_inside_its_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    holds = tmp_path / "holds"
    holds.mkdir()
    monkeypatch.setenv(HOLD_LOADS_ENV, str(holds))
    warehouse = tmp_path / "warehouse.duckdb"
    wh.load_partition(warehouse, SEASON, 2, partition_tables(2))  # no hold file: straight through
    assert not held_file(holds, SEASON, 2).exists()
    hold_file(holds, SEASON, 1).touch()
    errors: list[BaseException] = []

    def load_week_1() -> None:
        try:
            wh.load_partition(warehouse, SEASON, 1, partition_tables(1))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    loader = threading.Thread(target=load_week_1)
    loader.start()
    _wait_for(held_file(holds, SEASON, 1))
    time.sleep(0.3)
    assert loader.is_alive()  # still waiting: nothing committed
    hold_file(holds, SEASON, 1).unlink()
    loader.join(timeout=60)
    assert not loader.is_alive() and not errors, errors
    assert counts(warehouse)["play_scores"] == SCORES.height


def test_no_variable_no_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HOLD_LOADS_ENV, raising=False)
    hold_file(tmp_path, SEASON, 1).touch()  # a stray file means nothing without the variable
    wh.load_partition(tmp_path / "warehouse.duckdb", SEASON, 1, partition_tables(1))
    assert not held_file(tmp_path, SEASON, 1).exists()
