"""Season x week partitions: the unit of ingestion, features and scoring, and of parallel work.

* ``season``: a dynamic dimension, the seasons found in the data. A season must be added to the
  instance before a run of one of its partitions: the ``new_tracking_files`` sensor requests the
  seasons it finds (``SensorResult.dynamic_partitions_requests``), the nightly schedule adds them,
  ``materialize_partition`` (the demo, the tests) adds its own; by hand, the UI's partition picker
  ("Add partition") or ``instance.add_dynamic_partitions("season", ["2030"])``.
* ``week``: 1 to ``season_calendar.MAX_WEEK`` (22), every week a season has: the regular season (17
  weeks through 2020, 18 since) and the four postseason weeks numbered on from it. Which weeks are the
  postseason is the plays and games tables' ``season_type`` (REG or POST), not part of the key.

Keys are ``MultiPartitionKey({"season": "2024", "week": "19"})`` (``"2024|19"`` as a string).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import dagster as dg

from qb_assets.ingest.season_calendar import MAX_WEEK

SEASON_DIMENSION = "season"
WEEKS = [str(week) for week in range(1, MAX_WEEK + 1)]

season_partitions = dg.DynamicPartitionsDefinition(name=SEASON_DIMENSION)
season_week_partitions = dg.MultiPartitionsDefinition(
    {SEASON_DIMENSION: season_partitions, "week": dg.StaticPartitionsDefinition(WEEKS)}
)


def partition_key(season: int, week: int) -> dg.MultiPartitionKey:
    """The key of the (season, week) partition; a week outside 1-MAX_WEEK is a ValueError."""
    if not 1 <= week <= MAX_WEEK:
        raise ValueError(f"season {season} week {week}: weeks run 1-{MAX_WEEK} (regular and postseason)")
    return dg.MultiPartitionKey({SEASON_DIMENSION: str(season), "week": str(week)})


def season_week(context: dg.AssetExecutionContext) -> tuple[int, int]:
    """The (season, week) of the partition a run materializes."""
    keys = context.partition_key.keys_by_dimension  # type: ignore[union-attr]
    return int(keys[SEASON_DIMENSION]), int(keys["week"])


def _missing_seasons(instance: dg.DagsterInstance, keys: Iterable[tuple[int, int]]) -> list[str]:
    """The seasons of the (season, week) ``keys`` that the instance does not have yet, in order."""
    known = set(instance.get_dynamic_partitions(SEASON_DIMENSION))
    return sorted({str(season) for season, _ in keys} - known)


def add_partitions_requests(
    instance: dg.DagsterInstance, keys: Iterable[tuple[int, int]]
) -> list[dg.AddDynamicPartitionsRequest]:
    """What a sensor returns so that the (season, week) ``keys`` it requests exist (empty when they do)."""
    seasons = _missing_seasons(instance, keys)
    return [season_partitions.build_add_request(seasons)] if seasons else []


def add_partitions(instance: dg.DagsterInstance, keys: Iterable[tuple[int, int]]) -> list[str]:
    """Add the seasons of the (season, week) ``keys`` to the instance; returns the seasons added."""
    seasons = _missing_seasons(instance, keys)
    if seasons:
        instance.add_dynamic_partitions(SEASON_DIMENSION, seasons)
    return seasons


def materialize_partition(
    assets: Sequence[Any],
    season: int,
    week: int,
    *,
    instance: dg.DagsterInstance | None = None,
    **kwargs: Any,
) -> dg.ExecuteInProcessResult:
    """``dg.materialize`` of one (season, week) partition, adding its season to ``instance`` first (an
    ephemeral instance when None); other keyword arguments go to ``dg.materialize``."""
    instance = instance if instance is not None else dg.DagsterInstance.ephemeral()
    add_partitions(instance, [(season, week)])
    return dg.materialize(assets, partition_key=partition_key(season, week), instance=instance, **kwargs)
