"""``qb-score --help`` and every subcommand's ``--help`` answer, exit 0 and name their options."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qb_assets.cli.main import build_parser

SUBCOMMANDS = sorted(build_parser()._subparsers._group_actions[0].choices)


def _help(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qb_assets.cli", *args, "--help"], capture_output=True, text=True, check=False
    )


def test_top_level_help_lists_every_command() -> None:
    result = _help()
    assert result.returncode == 0, result.stderr
    for name in SUBCOMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_subcommand_help(command: str) -> None:
    result = _help(command)
    assert result.returncode == 0, result.stderr
    assert f"usage: qb-score {command}" in result.stdout
    assert "Traceback" not in result.stderr
