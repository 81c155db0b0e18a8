"""``qb-score score-play``'s arguments: one play scored live from its raw tracking rows
(``qb_assets.scoring.live``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def add_score_play_command(
    commands: argparse._SubParsersAction, model_help: str, run: Callable[[argparse.Namespace], int]
) -> None:
    """score-play, run by ``run``."""
    live = commands.add_parser("score-play", help="score one play live from its raw tracking rows")
    live.add_argument("tracking_file", help="a tracking file (any layout); its folder's plays/games/players")
    live.add_argument("game_id", type=int)
    live.add_argument("play_id", type=int)
    live.add_argument("--model", required=True, help=model_help)
    live.set_defaults(run=run)
