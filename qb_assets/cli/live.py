"""``qb-score score-play``: one play scored live from its raw tracking rows (``qb_assets.scoring.live``)."""

from __future__ import annotations

import argparse
import json

from qb_assets.model.store import resolve_model_dir


def cmd_score_play(args: argparse.Namespace) -> int:
    from qb_assets.scoring.live import LivePlayScorer, read_play_rows  # noqa: PLC0415 - torch on demand

    play = read_play_rows(args.tracking_file, args.game_id, args.play_id)
    score = LivePlayScorer(resolve_model_dir(args.model)).score_rows(play)
    print(json.dumps(score.as_dict(), indent=2, default=str))
    return 0


def add_score_play_command(commands: argparse._SubParsersAction, model_help: str) -> None:
    """score-play."""
    live = commands.add_parser("score-play", help="score one play live from its raw tracking rows")
    live.add_argument("tracking_file", help="a tracking file (any layout); its folder's plays/games/players")
    live.add_argument("game_id", type=int)
    live.add_argument("play_id", type=int)
    live.add_argument("--model", required=True, help=model_help)
    live.set_defaults(run=cmd_score_play)
