"""``qb-score``: the command-line face of the same library functions the Dagster assets call.

Errors exit non-zero with one line naming the file, play and column at fault: 2 for a tracking layout
that matches no Big Data Bowl vintage (or not the forced one), 1 for any other input error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ml.errors import ArtifactError
from qb_assets.common.ranges import parse_int_ranges
from qb_assets.ingest.formats import LAYOUT_CHOICES, LayoutError
from qb_assets.io.sources import SourceError
from qb_assets.warehouse.query import add_query_parser

EXIT_INPUT_ERROR = 1
EXIT_LAYOUT_ERROR = 2


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_generate(args: argparse.Namespace) -> int:
    from qb_assets.synthetic.season import generate_season  # noqa: PLC0415 - keeps `--help` fast

    summary = generate_season(
        args.out_dir,
        season=args.season,
        weeks=parse_int_ranges(args.weeks),
        games_per_week=args.games_per_week,
        seed=args.seed,
        progress=_log,
    )
    print(json.dumps(summary, indent=2, default=str))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from qb_assets.ingest.pipeline import ingest_source  # noqa: PLC0415

    summary = ingest_source(args.source, args.lake, layout=args.format, progress=_log)
    print(json.dumps(summary, indent=2))
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    from qb_assets.features.store import build_features  # noqa: PLC0415

    print(json.dumps(build_features(args.lake, progress=_log), indent=2))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from qb_assets.model.training import train_model  # noqa: PLC0415

    overrides = {"epochs": args.epochs, "device": args.device, "seed": args.seed, "refit": args.refit}
    if args.test_weeks:
        overrides["test_weeks"] = tuple(parse_int_ranges(args.test_weeks))
    print(json.dumps(train_model(args.lake, args.model, progress=_log, **overrides), indent=2))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from qb_assets.model.training import evaluate_model  # noqa: PLC0415

    result = evaluate_model(args.lake, args.model, truth_path=args.truth, progress=_log)
    print(json.dumps(result, indent=2) if args.json else format_metrics_table(result))
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from qb_assets.scoring.score import score_lake  # noqa: PLC0415

    summary = score_lake(args.lake, args.model, progress=_log)
    if args.warehouse:
        from qb_assets.warehouse.load import load_lake  # noqa: PLC0415

        summary["warehouse"] = load_lake(args.lake, args.warehouse, progress=_log)
    print(json.dumps(summary, indent=2, default=str))
    return 0


def cmd_chart(args: argparse.Namespace) -> int:
    from qb_assets.scoring.charts import weekly_chart  # noqa: PLC0415

    png, info = weekly_chart(args.warehouse, args.qb, args.season)
    Path(args.out).write_bytes(png)
    print(json.dumps({**info, "out": args.out}, indent=2))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from qb_assets.scoring.score import explain_play  # noqa: PLC0415

    png, info = explain_play(args.lake, args.model, args.game_id, args.play_id)
    Path(args.out).write_bytes(png)
    print(json.dumps({**info, "out": args.out}, indent=2))
    return 0


def cmd_evaluate_pbp(args: argparse.Namespace) -> int:
    from qb_assets.model.pbp import evaluate_pbp  # noqa: PLC0415

    result = evaluate_pbp(
        args.file,
        parse_int_ranges(args.train_seasons),
        parse_int_ranges(args.test_seasons),
        seed=args.seed,
        epochs=args.epochs,
        progress=_log,
    )
    print(json.dumps(result, indent=2) if args.json else format_metrics_table(result))
    return 0


def format_metrics_table(result: dict) -> str:
    """The metrics of ``compare_models`` as a Markdown table."""
    columns = ("nll", "crps", "mae_median", "pit_ks", "coverage_50", "coverage_90")
    lines = ["| model | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, metrics in result["models"].items():
        cells = ["-" if metrics[c] is None else f"{metrics[c]:.4f}" for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, f"\ntest plays: {result['n_test']}"])


def cmd_demo(args: argparse.Namespace) -> int:
    from qb_assets.cli.demo import run_demo  # noqa: PLC0415

    return run_demo(Path(args.workdir), source=args.source, seed=args.seed, log=_log)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qb-score", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write a synthetic season in Big Data Bowl 2023 layout")
    generate.add_argument("out_dir")
    generate.add_argument("--season", type=int, default=2024)
    generate.add_argument("--weeks", default="1-4", help="e.g. 1-4 or 1,3,5 (default 1-4)")
    generate.add_argument("--games-per-week", type=int, default=16)
    generate.add_argument("--seed", type=int, default=0)
    generate.set_defaults(run=cmd_generate)

    ingest = commands.add_parser("ingest", help="ingest a folder of tracking files into the lake")
    ingest.add_argument("source", help="folder of tracking/plays/games/players files (CSV, CSV.gz, Parquet)")
    ingest.add_argument("--lake", required=True, help="lake root folder")
    ingest.add_argument(
        "--format", default="auto", choices=LAYOUT_CHOICES, help="force a layout (default: detect)"
    )
    ingest.set_defaults(run=cmd_ingest)

    features = commands.add_parser("features", help="play tensors and derived features per week")
    features.add_argument("--lake", required=True, help="lake root folder")
    features.set_defaults(run=cmd_features)

    train = commands.add_parser("train", help="train the TCN + SBP model on the feature store")
    train.add_argument("--lake", required=True)
    train.add_argument("--model", required=True, help="artifact folder to write")
    train.add_argument("--epochs", type=int, default=60)
    train.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--test-weeks", default=None, help="weeks held out for testing, e.g. 14-17 (default: 20%% of games)"
    )
    train.add_argument(
        "--no-refit",
        dest="refit",
        action="store_false",
        help="keep the early-stopped model instead of refitting on train + validation (half the time)",
    )
    train.set_defaults(run=cmd_train)

    evaluate = commands.add_parser("evaluate", help="held-out metrics of the model and the baselines")
    evaluate.add_argument("--lake", required=True)
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--truth", default=None, help="a synthetic season's truth.parquet: adds the oracle")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(run=cmd_evaluate)

    score = commands.add_parser("score", help="score every pass attempt and load the DuckDB warehouse")
    score.add_argument("--lake", required=True)
    score.add_argument("--model", required=True)
    score.add_argument("--warehouse", default=None, help="DuckDB file to load the scores into")
    score.set_defaults(run=cmd_score)

    explain = commands.add_parser("explain", help="picture of one play's predicted distribution")
    explain.add_argument("game_id", type=int)
    explain.add_argument("play_id", type=int)
    explain.add_argument("--lake", required=True)
    explain.add_argument("--model", required=True)
    explain.add_argument("--out", required=True, help="PNG file to write")
    explain.set_defaults(run=cmd_explain)

    add_query_parser(commands)

    chart = commands.add_parser("chart", help="a QB's passing score by week with its 90% interval")
    chart.add_argument("qb", help="the passer's nflId or display name")
    chart.add_argument("--season", type=int, required=True)
    chart.add_argument("--warehouse", required=True)
    chart.add_argument("--out", required=True, help="PNG file to write")
    chart.set_defaults(run=cmd_chart)

    pbp = commands.add_parser(
        "evaluate-pbp", help="SBP vs Gaussian vs trees on real play-by-play outcomes (situation features)"
    )
    pbp.add_argument("file", help="nflfastR play-by-play Parquet")
    pbp.add_argument("--train-seasons", required=True, help="e.g. 2017-2018")
    pbp.add_argument("--test-seasons", required=True, help="e.g. 2019")
    pbp.add_argument("--epochs", type=int, default=20)
    pbp.add_argument("--seed", type=int, default=0)
    pbp.add_argument("--json", action="store_true", help="print JSON instead of a table")
    pbp.set_defaults(run=cmd_evaluate_pbp)

    demo = commands.add_parser("demo", help="the embedded default end to end, through Dagster")
    demo.add_argument(
        "--workdir", default="work", help="where the season, lake and DAGSTER_HOME go (default ./work)"
    )
    demo.add_argument(
        "--source", default=None, help="ingest this tracking folder instead of a synthetic season"
    )
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except LayoutError as exc:
        _log(f"qb-score: error: {exc}")
        return EXIT_LAYOUT_ERROR
    except (SourceError, FileNotFoundError, ValueError, ArtifactError) as exc:
        _log(f"qb-score: error: {exc}")
        return EXIT_INPUT_ERROR
