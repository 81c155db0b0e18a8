"""Season x week partitions: the unit of ingestion, features and scoring, and of parallel work.

Both dimensions are dynamic: the partitions are the seasons and weeks found in the data, so a demo of
four weeks shows 4 of 4 partitions, not 4 of the 198 a fixed grid of every week of 2016-2026 would.

* ``season``: the seasons found in the data.
* ``week``: the weeks found, each 1 to ``season_calendar.MAX_WEEK`` (22): the regular season (17 weeks
  through 2020, 18 since) and the four postseason weeks numbered on from it. Which weeks are the
  postseason is the plays and games tables' ``season_type`` (REG or POST), not part of the key.

The grid is every season added x every week added (Dagster's multi-partitions are a cross product), so
a season holding fewer weeks than another shows those weeks as missing. A season and a week must be
added to the instance before a run of their partition: the ``new_tracking_files`` sensor requests those
it finds (``SensorResult.dynamic_partitions_requests``), the nightly schedule adds them,
``materialize_partition`` (the demo, the tests) adds its own; by hand, the UI's partition picker ("Add
partition") or ``instance.add_dynamic_partitions("season", ["2030"])`` and ``("week", ["19"])``.

Keys are ``MultiPartitionKey({"season": "2024", "week": "19"})`` (``"2024|19"`` as a string).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import dagster as dg

from qb_assets.ingest.season_calendar import MAX_WEEK

SEASON_DIMENSION = "season"
WEEK_DIMENSION = "week"

season_partitions = dg.DynamicPartitionsDefinition(name=SEASON_DIMENSION)
week_partitions = dg.DynamicPartitionsDefinition(name=WEEK_DIMENSION)
season_week_partitions = dg.MultiPartitionsDefinition(
    {SEASON_DIMENSION: season_partitions, WEEK_DIMENSION: week_partitions}
)


def partition_key(season: int, week: int) -> dg.MultiPartitionKey:
    """The key of the (season, week) partition; a week outside 1-MAX_WEEK is a ValueError."""
    if not 1 <= week <= MAX_WEEK:
        raise ValueError(f"season {season} week {week}: weeks run 1-{MAX_WEEK} (regular and postseason)")
    return dg.MultiPartitionKey({SEASON_DIMENSION: str(season), WEEK_DIMENSION: str(week)})


def season_week(context: dg.AssetExecutionContext) -> tuple[int, int]:
    """The (season, week) of the partition a run materializes."""
    keys = context.partition_key.keys_by_dimension  # type: ignore[union-attr]
    return int(keys[SEASON_DIMENSION]), int(keys[WEEK_DIMENSION])


def _missing(instance: dg.DagsterInstance, keys: Iterable[tuple[int, int]]) -> dict[str, list[str]]:
    """Per dimension, the seasons and weeks of the (season, week) ``keys`` that the instance does not
    have yet, in order (weeks by number, so that the UI lists them in calendar order when they arrive
    in order); dimensions with nothing missing are left out."""
    keys = list(keys)
    wanted = {
        SEASON_DIMENSION: sorted({season for season, _ in keys}),
        WEEK_DIMENSION: sorted({week for _, week in keys}),
    }
    missing = {}
    for dimension, values in wanted.items():
        known = set(instance.get_dynamic_partitions(dimension))
        new = [str(value) for value in values if str(value) not in known]
        if new:
            missing[dimension] = new
    return missing


def add_partitions_requests(
    instance: dg.DagsterInstance, keys: Iterable[tuple[int, int]]
) -> list[dg.AddDynamicPartitionsRequest]:
    """What a sensor returns so that the (season, week) ``keys`` it requests exist (empty when they do)."""
    definitions = {SEASON_DIMENSION: season_partitions, WEEK_DIMENSION: week_partitions}
    return [definitions[dim].build_add_request(new) for dim, new in _missing(instance, keys).items()]


def add_partitions(instance: dg.DagsterInstance, keys: Iterable[tuple[int, int]]) -> list[str]:
    """Add the seasons and weeks of the (season, week) ``keys`` to the instance; returns what was added,
    e.g. ``["season 2024", "week 3"]``."""
    added = []
    for dimension, new in _missing(instance, keys).items():
        instance.add_dynamic_partitions(dimension, new)
        added += [f"{dimension} {key}" for key in new]
    return added


def materialize_partition(
    assets: Sequence[Any],
    season: int,
    week: int,
    *,
    instance: dg.DagsterInstance | None = None,
    **kwargs: Any,
) -> dg.ExecuteInProcessResult:
    """``dg.materialize`` of one (season, week) partition, adding its season and week to ``instance``
    first (an ephemeral instance when None); other keyword arguments go to ``dg.materialize``."""
    instance = instance if instance is not None else dg.DagsterInstance.ephemeral()
    add_partitions(instance, [(season, week)])
    return dg.materialize(assets, partition_key=partition_key(season, week), instance=instance, **kwargs)
