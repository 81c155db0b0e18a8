"""deploy/: the example ECS task definition sets only variables the code or the production instance
reads, and every one the instance needs; no volumes; the Dockerfile installs the wheel this project
builds and serves the code location pyproject.toml names."""

from __future__ import annotations

import json
import re
import tomllib

import yaml

from tests.conftest import REPO_ROOT
from tests.test_packaging import BUILD_INPUTS

DEPLOY = REPO_ROOT / "deploy"
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
OURS = re.compile(r"^(QB|DAGSTER)_[A-Z_]+$")
# What a run needs besides the instance's variables: the locations the resources default to.
LOCATIONS = {"QB_SOURCE", "QB_LAKE", "QB_MODELS", "QB_WAREHOUSE", "QB_WAREHOUSE_DATA"}


def _task_variables(container: dict) -> set[str]:
    return {v["name"] for v in container.get("environment", []) + container.get("secrets", [])}


def _read_by_the_code() -> set[str]:
    """Variables named as string literals in the project's Python sources (os.environ, EnvVar)."""
    names = set()
    for package in ("qb_assets", "ml"):
        for path in (REPO_ROOT / package).rglob("*.py"):
            names |= set(re.findall(r"[\"']((?:QB|DAGSTER)_[A-Z_]+)[\"']", path.read_text()))
    return names


def _read_by_the_instance() -> set[str]:
    return set(re.findall(r"\{env: ([A-Z_]+)\}", (DEPLOY / "dagster.production.yaml").read_text()))


def test_the_task_definition_sets_what_the_code_reads() -> None:
    task = json.loads((DEPLOY / "ecs-task-definition.json").read_text())
    assert task["volumes"] == []  # nothing a run needs lives on one machine's disk
    (container,) = task["containerDefinitions"]
    assert container["mountPoints"] == []
    variables = _task_variables(container)
    ours = {name for name in variables if OURS.match(name)}
    unread = ours - _read_by_the_code() - _read_by_the_instance()
    assert not unread, f"set in the task definition but read nowhere: {sorted(unread)}"
    needed = _read_by_the_instance() | {
        "QB_SOURCE",
        "QB_LAKE",
        "QB_MODELS",
        "QB_WAREHOUSE",
        "QB_WAREHOUSE_DATA",
    }
    assert needed <= variables, f"missing from the task definition: {sorted(needed - variables)}"
    secrets = {s["name"] for s in container["secrets"]}
    assert {"DAGSTER_PG_PASSWORD", "PGPASSWORD"} <= secrets  # passwords never in plain environment
    # The container EcsRunLauncher overrides for a run ("run", its default), serving the code location.
    assert container["name"] == "run"
    assert PYPROJECT["tool"]["dagster"]["module_name"] in container["command"]
    location = container["command"][container["command"].index("--location-name") + 1]
    assert location == PYPROJECT["tool"]["dagster"]["code_location_name"]


def test_the_dockerfile_installs_the_projects_wheel() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    wheel = PYPROJECT["project"]["name"].replace("-", "_") + "-*.whl"  # the wheel's file name (PEP 427)
    assert "pip wheel --no-deps --wheel-dir /wheels ." in text
    # The wheel stage copies exactly what tests/test_packaging.py builds the wheel from (and proves enough).
    wheel_stage = re.split(r"^FROM ", text, flags=re.MULTILINE)[1].splitlines()
    copied = [word for line in wheel_stage if line.startswith("COPY ") for word in line.split()[1:-1]]
    assert sorted(copied) == sorted(BUILD_INPUTS)
    assert f"pip install --no-cache-dir /tmp/{wheel}" in text
    assert "download.pytorch.org/whl/cpu" in text  # the CPU torch, not PyPI's CUDA build
    assert "COPY deploy/dagster.production.yaml /opt/dagster/dagster_home/dagster.yaml" in text
    assert PYPROJECT["tool"]["dagster"]["module_name"] in text.splitlines()[-1]  # the CMD
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())["load_from"][0]["grpc_server"]
    assert workspace["location_name"] == PYPROJECT["tool"]["dagster"]["code_location_name"]
    assert workspace["port"] == 4000 and "EXPOSE 4000" in text
