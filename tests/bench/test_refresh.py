"""``bench.refresh`` on a tiny season (2 games a week, 2 earlier weeks, 1 epoch): the weekly_refresh job
really ran on the new week, the table has every step, and the per-step times come from the run's event
log, are positive and add up to at most the total. No timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from bench.refresh import BETWEEN, SEASON, STEPS, TOTAL, run_benchmark, step_seconds, table
from qb_assets.defs.automation import WEEKLY_REFRESH
from qb_assets.warehouse.query import run_query


def test_refresh_benchmark_times_every_step_of_the_new_week(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # the benchmark points it at its own; restored after
    refresh, dagster_runs, library_runs = run_benchmark(
        tmp_path, games_per_week=2, repeats=1, earlier_weeks=2, epochs=1
    )
    assert refresh.key == (SEASON, 3)
    text = table(dagster_runs, library_runs)
    for label in (*STEPS.values(), BETWEEN, TOTAL):
        assert f"\n| {label} |" in text
    for run in (*dagster_runs, *library_runs):
        assert all(run[step] > 0 for step in STEPS), run
        assert sum(run[step] for step in STEPS) <= run[TOTAL]
        assert run[BETWEEN] >= 0

    # The new week went through the whole job: scored and loaded like the earlier weeks.
    loaded = json.loads(
        run_query(
            "SELECT week, count(*) AS n FROM play_scores GROUP BY week ORDER BY week",
            str(tmp_path / "warehouse.duckdb"),
            "json",
        )
    )
    assert [row["week"] for row in loaded] == [1, 2, 3] and loaded[-1]["n"] > 0

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=WEEKLY_REFRESH), ascending=True)
        measured = [run for run in runs if run.tags.get("dagster/partition") == f"{SEASON}|3"]
        assert len(measured) == 1 and measured[0].is_success
        # The table's Dagster numbers are that run's event log.
        assert step_seconds(instance, measured[0].run_id) == {step: dagster_runs[0][step] for step in STEPS}
        # A run without every step of the job (the setup's ingest-only runs) is refused, not timed.
        with pytest.raises(RuntimeError, match="play_scores"):
            step_seconds(instance, runs[0].run_id)
