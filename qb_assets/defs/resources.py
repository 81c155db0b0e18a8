"""Resources: where tracking files come from and where the lake lives.

Defaults come from environment variables so that ``dagster dev``, the nightly schedule and the CLI agree
without repeating paths: ``QB_SOURCE`` (tracking folder, or one nflfastR play-by-play file), ``QB_LAKE``
(lake root), ``QB_LAYOUT`` (``auto``, a Big Data Bowl layout name or ``nflfastr``), ``QB_MODELS`` (the
model store: ``training_set.json``, ``sbp/``, the SBP model's versions and pointers, and ``situation/``,
the situation model's), ``QB_TRAIN_SEASONS`` (the situation model's fitted seasons, e.g. ``2017-2018``;
empty: all but the last), ``QB_WAREHOUSE`` (a DuckDB file or ``ducklake:<catalog>``) and
``QB_WAREHOUSE_DATA`` (a new DuckLake's data folder or ``s3://`` prefix). Relative defaults live under
``./work``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from qb_assets.common.ranges import parse_int_ranges
from qb_assets.ingest.formats import LAYOUT_CHOICES
from qb_assets.ingest.partition import PartitionKey
from qb_assets.ingest.pbp_ingest import is_pbp_file, pbp_source_partitions
from qb_assets.ingest.pbp_plays import FORMAT as PBP_FORMAT
from qb_assets.ingest.pipeline import plan_source
from qb_assets.io.files import SourceFile
from qb_assets.io.sources import TrackingSource, open_source
from qb_assets.model.situation import SITUATION_ROOT
from qb_assets.model.store import DEFAULT_KEEP_VERSIONS, SBP_ROOT, location
from qb_assets.warehouse.backend import WarehouseLocation


def _environment_default(variable: str, fallback: str) -> str:
    """A field's default: ``variable``'s value when the code location loads, else ``fallback``. Dagster
    fills the fields a run's config leaves out from these class defaults, not from the values bound in
    ``default_resources``: without it, a run configured in part (the model store's epochs from the
    launchpad, say) would silently write to the local ``work/`` of its container."""
    return os.environ.get(variable) or fallback


class TrackingSourceResource(dg.ConfigurableResource):
    """A folder or an ``s3://bucket/prefix`` of Big Data Bowl files (the landing zone), or one local
    nflfastR play-by-play file (layout ``auto`` finds it by its columns, or ``nflfastr``): then the jobs
    run the ``pbp`` assets (``automation.refresh_jobs``)."""

    uri: str = _environment_default("QB_SOURCE", "work/source")
    layout: str = _environment_default("QB_LAYOUT", "auto")

    def is_play_by_play(self) -> bool:
        """Whether the source is one nflfastR play-by-play file rather than tracking."""
        return self.layout == PBP_FORMAT or (self.layout == "auto" and is_pbp_file(self.uri))

    def plan(self) -> dict[PartitionKey, list[SourceFile]]:
        """The (season, week) partitions of the source and the files of each (a play-by-play file is the
        file of every partition it holds)."""
        if self.is_play_by_play():
            files = self.open().list_files()
            return {key: files for key in pbp_source_partitions(self.uri)}
        return plan_source(self.open())

    def truth_folder(self) -> str | None:
        """The source folder when it is a generated season with its ground truth (``truth.parquet``)."""
        return self.uri if "://" not in self.uri and (Path(self.uri) / "truth.parquet").exists() else None

    def open(self) -> TrackingSource:
        if self.layout not in (*LAYOUT_CHOICES, PBP_FORMAT):
            raise ValueError(
                f"layout {self.layout!r} is not one of {', '.join(LAYOUT_CHOICES)}, {PBP_FORMAT}"
            )
        return open_source(self.uri)


class LakeResource(dg.ConfigurableResource):
    """Root of the Parquet lake (``LAKE/<table>/season=YYYY/week=W/``, partitions published through
    manifests: ``qb_assets.io.lake``)."""

    root: str = _environment_default("QB_LAKE", "work/lake")


class ModelStoreResource(dg.ConfigurableResource):
    """Where model versions live (``qb_assets.model.store``), and the training settings the model assets
    use."""

    root: str = _environment_default("QB_MODELS", "work/models")
    epochs: int | None = None  # the one-cycle schedule's epochs; None: the training config's
    device: str = "auto"
    seed: int = 0
    test_weeks: str = ""  # e.g. "14-17"; empty: 20% of games by hashed id
    refit: bool = True  # refit on train + validation for the epochs early stopping chose
    keep_versions: int = DEFAULT_KEEP_VERSIONS  # newest versions kept; the accepted one always is
    # The situation model's (play-by-play) fitted seasons, e.g. "2017-2018"; empty: all but the last.
    train_seasons: str = _environment_default("QB_TRAIN_SEASONS", "")

    @property
    def situation_root(self) -> str:
        """The situation model's root (play-by-play sources), beside the SBP model's."""
        return str(location(self.root, SITUATION_ROOT))

    @property
    def sbp_root(self) -> str:
        """The SBP model's root: one folder per version, ``candidate.json`` and ``accepted.json``."""
        return str(location(self.root, SBP_ROOT))

    def overrides(self) -> dict:
        weeks = tuple(parse_int_ranges(self.test_weeks))
        chosen = {"epochs": self.epochs} if self.epochs is not None else {}
        return {**chosen, "device": self.device, "seed": self.seed, "test_weeks": weeks, "refit": self.refit}


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse (``qb_assets/warehouse/backend.py``): ``path``, a DuckDB file (one read-write process
    at a time: the "duckdb" pool of 1) or ``ducklake:<catalog>`` (a DuckLake; with a PostgreSQL catalog
    any number of runs load it at once), and ``data_path``, where a new DuckLake puts its files."""

    path: str = _environment_default("QB_WAREHOUSE", "work/warehouse.duckdb")
    data_path: str = _environment_default("QB_WAREHOUSE_DATA", "")

    def location(self) -> WarehouseLocation:
        """The warehouse as the library functions take it."""
        return WarehouseLocation(self.path, self.data_path)


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "tracking_source": TrackingSourceResource(
            uri=dg.EnvVar("QB_SOURCE").get_value("work/source") or "work/source",
            layout=dg.EnvVar("QB_LAYOUT").get_value("auto") or "auto",
        ),
        "lake": LakeResource(root=dg.EnvVar("QB_LAKE").get_value("work/lake") or "work/lake"),
        "model_store": ModelStoreResource(
            root=dg.EnvVar("QB_MODELS").get_value("work/models") or "work/models",
            train_seasons=dg.EnvVar("QB_TRAIN_SEASONS").get_value("") or "",
        ),
        "duckdb_warehouse": WarehouseResource(
            path=dg.EnvVar("QB_WAREHOUSE").get_value("work/warehouse.duckdb") or "work/warehouse.duckdb",
            data_path=dg.EnvVar("QB_WAREHOUSE_DATA").get_value("") or "",
        ),
    }
