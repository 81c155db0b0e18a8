"""The installed package works without the checkout around it: the wheel carries every package, the
warehouse SQL (``sql/``) and the demo's ``dagster.yaml``, and a fresh virtual environment holding only
that wheel (its dependencies come from this environment's site-packages, never the checkout) creates a
warehouse, loads a partition, answers ``qb-score query`` and prepares a Dagster home.

The wheel is built offline from a copy of the project files with this environment's setuptools
(``pip wheel --no-build-isolation --no-index``), so the checkout itself gets no build/ or egg-info."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# What the wheel is built from: pyproject.toml and what it names.
BUILD_INPUTS = ("pyproject.toml", "README.md", "dagster.yaml", "qb_assets", "ml", "sql")
PACKAGED_ROOT = "qb_assets/project_files"

# Runs in the fresh environment, from an empty folder: where the package came from, a warehouse made
# from the packaged SQL with one tiny partition, and the demo's Dagster home.
INSTALLED_CHECK = """
import json
import sys
from pathlib import Path

import dagster as dg
import polars as pl

import qb_assets
from qb_assets.cli.demo import prepare_dagster_home
from qb_assets.warehouse import load

scores = pl.DataFrame({
    "game_id": [2024090801] * 3, "play_id": [1, 2, 3], "season": [2024] * 3, "week": [1] * 3,
    "passer_nfl_id": [7] * 3, "possession_team": ["AAA"] * 3, "pass_result": ["C", "I", "C"],
    "yards_gained": [12.0, 0.0, 5.0], "passing_percentile": [0.9, 0.3, 0.6],
    "execution_percentile": [0.8, 0.3, 0.7], "decision_value": [0.02, -0.01, 0.0],
    "model_version": ["v1"] * 3,
}).with_columns(pl.col("season", "week").cast(pl.Int32))
load.load_partition("warehouse.duckdb", 2024, 1, {"play_scores": scores})
home = prepare_dagster_home(Path("dagster_home"))
with dg.DagsterInstance.get():  # the instance loads from the copied dagster.yaml
    pass
print(json.dumps({
    "qb_assets": qb_assets.__file__,
    "sql_dir": str(load.SQL_DIR),
    "dagster_yaml": (home / "dagster.yaml").read_text(),
    "sys_path": [str(Path(p).resolve()) for p in sys.path],
    "editable_finders": [m for m in sys.modules if m.startswith("__editable__")],
}))
"""


def _clean_env() -> dict[str, str]:
    """This process's environment without anything that would put the checkout on sys.path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return env | {"PYTHONNOUSERSITE": "1"}


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(
        command, check=False, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{' '.join(command[:4])} ... failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copyfile(origin, source / name)
    dist = work / "dist"
    pip_wheel = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation"]
    _run([*pip_wheel, "--no-index", "--quiet", "--wheel-dir", str(dist)], cwd=work)
    (built,) = dist.glob("qb_score-*.whl")
    return built


@pytest.fixture(scope="module")
def installed_python(wheel: Path) -> Path:
    """A fresh virtual environment (no pip, no system site-packages) with the wheel installed and this
    environment's site-packages appended for the dependencies (a .pth path entry is not a site dir,
    so the editable install's finder there never runs)."""
    root = wheel.parent.parent / "venv"
    venv.create(root, with_pip=False, symlinks=True)
    python = root / "bin" / "python"
    purelib = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], root).strip()
    )
    pip_install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet"]
    _run([*pip_install, "--target", str(purelib), str(wheel)], cwd=root)
    (purelib / "dependencies_of_this_test.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def test_the_wheel_carries_every_package_and_the_project_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {
        str(p.parent.relative_to(REPO_ROOT))
        for top in ("qb_assets", "ml")
        for p in (REPO_ROOT / top).rglob("__init__.py")
    }
    assert packages <= {str(Path(n).parent) for n in names if n.endswith("/__init__.py")}
    modules = {
        str(p.relative_to(REPO_ROOT)) for package in packages for p in (REPO_ROOT / package).glob("*.py")
    }
    assert modules <= names
    project_files = {str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "sql").rglob("*.sql")} | {
        "dagster.yaml"
    }
    assert {
        n.removeprefix(f"{PACKAGED_ROOT}/") for n in names if n.startswith(f"{PACKAGED_ROOT}/")
    } == project_files
    # Nothing else rides along: every file is a module of a package, a project file or the metadata.
    assert all(n in modules or n.startswith((f"{PACKAGED_ROOT}/", "qb_score-")) for n in names)


def test_the_installed_package_works_without_the_checkout(installed_python: Path, tmp_path: Path) -> None:
    report = json.loads(_run([str(installed_python), "-c", INSTALLED_CHECK], cwd=tmp_path))
    site_packages = installed_python.parent.parent
    for key in ("qb_assets", "sql_dir"):
        assert Path(report[key]).is_relative_to(site_packages), (key, report[key])
        assert not Path(report[key]).resolve().is_relative_to(REPO_ROOT), (key, report[key])
    assert str(REPO_ROOT) not in report["sys_path"] and report["editable_finders"] == []
    assert report["dagster_yaml"] == (REPO_ROOT / "dagster.yaml").read_text()

    query = "SELECT passer_nfl_id, attempts, model_versions FROM qb_season_scores"
    command = [
        str(installed_python),
        "-m",
        "qb_assets.cli",
        "query",
        query,
        "--warehouse",
        "warehouse.duckdb",
    ]
    rows = json.loads(_run([*command, "--format", "json"], cwd=tmp_path))
    assert rows == [{"passer_nfl_id": 7, "attempts": 3, "model_versions": 1}]
