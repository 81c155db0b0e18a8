"""Season x week partitions: the unit of ingestion, features and scoring, and of parallel work."""

from __future__ import annotations

import dagster as dg

SEASONS = [str(season) for season in range(2016, 2027)]
# 18 regular-season weeks since 2021 (17 before); postseason weeks are not scored.
WEEKS = [str(week) for week in range(1, 19)]

season_week_partitions = dg.MultiPartitionsDefinition(
    {"season": dg.StaticPartitionsDefinition(SEASONS), "week": dg.StaticPartitionsDefinition(WEEKS)}
)


def partition_key(season: int, week: int) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"season": str(season), "week": str(week)})


def season_week(context: dg.AssetExecutionContext) -> tuple[int, int]:
    """The (season, week) of the partition a run materializes."""
    keys = context.partition_key.keys_by_dimension  # type: ignore[union-attr]
    return int(keys["season"]), int(keys["week"])
