"""Shared fixtures: the real public samples (never modified: copied into tmp dirs) and helpers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

# The local S3 server fixtures, for every test package (tests/s3_server.py).
from tests.s3_server import s3_endpoint, s3_proxy  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_GAME_FILE = "bdb2021_week14_game2018120600.csv"
REAL_GAME_ID = 2018120600


def real_data_dir() -> Path:
    """``$QB_REAL_DATA`` or ``../shared/data/real`` next to the project."""
    return Path(os.environ.get("QB_REAL_DATA", REPO_ROOT.parent / "shared" / "data" / "real"))


@pytest.fixture(scope="session")
def real_dir() -> Path:
    folder = real_data_dir()
    if not (folder / REAL_GAME_FILE).exists():
        pytest.skip(f"real public samples not found at {folder} (set QB_REAL_DATA to their folder)")
    return folder


@pytest.fixture(scope="session")
def real_game(real_dir: Path) -> pl.DataFrame:
    """The real 2018 game's tracking, as text columns exactly as in the file."""
    return pl.read_csv(real_dir / REAL_GAME_FILE, infer_schema=False)


@pytest.fixture(scope="session")
def real_pbp(real_dir: Path) -> pl.DataFrame:
    """nflfastR play-by-play of the real game, with the pass result derived from the description."""
    pbp = pl.read_parquet(real_dir / "nflfastr_pbp_2017_2019.parquet").filter(
        pl.col("game_id") == REAL_GAME_ID
    )
    desc = pl.col("desc")
    result = (
        pl.when(pl.col("play_type_nfl") == "SACK")
        .then(pl.lit("S"))
        .when(desc.str.contains("INTERCEPTED"))
        .then(pl.lit("IN"))
        .when(desc.str.contains("incomplete"))
        .then(pl.lit("I"))
        .otherwise(pl.lit("C"))
    )
    return pbp.with_columns(result.alias("pbp_result"))


@pytest.fixture
def real_source(tmp_path: Path, real_dir: Path) -> Path:
    """A tmp folder holding a copy of the real game as a BDB 2021 week file."""
    folder = tmp_path / "source"
    folder.mkdir()
    shutil.copyfile(real_dir / REAL_GAME_FILE, folder / "week14.csv")
    return folder


PG_BIN = (
    next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
    if Path("/usr/lib/postgresql").exists()
    else None
)


@pytest.fixture(scope="session")
def postgres():
    """The port of a PostgreSQL server (Debian's, started here as the postgres user on 127.0.0.1, trust
    authentication as user postgres) for the session."""
    if PG_BIN is None:
        pytest.skip("Debian's postgresql is not installed (.ci/run installs it)")
    root = Path(tempfile.mkdtemp(prefix="qb-pg-"))
    shutil.chown(root, "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def as_postgres(*command: str) -> None:
        subprocess.run(
            ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(command)], check=True, capture_output=True
        )

    as_postgres(str(PG_BIN / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "postgres")
    options = f"'-p {port} -k {root} -c listen_addresses=127.0.0.1'"
    as_postgres(
        str(PG_BIN / "pg_ctl"),
        "-D",
        str(root / "data"),
        "-o",
        options,
        "-l",
        str(root / "log"),
        "-w",
        "start",
    )
    try:
        yield port
    finally:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def new_postgres_database(port: int, name: str) -> str:
    """Create database ``name`` on the ``postgres`` fixture's server; returns its libpq connection string."""
    import psycopg2  # noqa: PLC0415 - only the PostgreSQL tests need it

    con = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    con.autocommit = True
    try:
        con.cursor().execute(f'CREATE DATABASE "{name}"')
    finally:
        con.close()
    return f"dbname={name} host=127.0.0.1 port={port} user=postgres"


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path)
    return path


def qb_score(*args: str) -> subprocess.CompletedProcess:
    """Run the ``qb-score`` command line (as ``python -m qb_assets.cli``) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "qb_assets.cli", *args], capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="session")
def small_season(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(source, lake) of a generated season of 3 weeks x 8 games, ingested and featurized."""
    from qb_assets.features.store import build_features  # noqa: PLC0415 - heavy, only when used
    from qb_assets.ingest.pipeline import ingest_source  # noqa: PLC0415
    from qb_assets.synthetic.season import generate_season  # noqa: PLC0415

    root = tmp_path_factory.mktemp("model_season")
    generate_season(root / "source", season=2024, weeks=[1, 2, 3], games_per_week=8, seed=3)
    ingest_source(root / "source", root / "lake")
    build_features(str(root / "lake"))
    return root / "source", root / "lake"


@pytest.fixture(scope="session")
def trained_model(small_season, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The version folder of an SBP model trained 6 epochs on ``small_season``, week 3 held out."""
    from qb_assets.model.training import train_model  # noqa: PLC0415

    _, lake = small_season
    root = tmp_path_factory.mktemp("trained") / "sbp"
    return Path(train_model(str(lake), root, epochs=6, test_weeks=(3,))["model_dir"])
