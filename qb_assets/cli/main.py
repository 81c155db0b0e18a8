"""``qb-score``: the command-line face of the same library functions the Dagster assets call.

Errors exit non-zero with one line naming the file, play and column at fault: 2 for a tracking layout
that matches no Big Data Bowl vintage (or not the forced one), 1 for any other input error. Library
imports sit inside the commands so that ``qb-score --help`` answers without loading torch or Dagster.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ml.errors import ArtifactError
from qb_assets.cli.live import add_score_play_command
from qb_assets.common.ranges import parse_int_ranges
from qb_assets.ingest.formats import LAYOUT_CHOICES, LayoutError
from qb_assets.io.files import SourceError
from qb_assets.model.store import DEFAULT_KEEP_VERSIONS, resolve_model_dir
from qb_assets.warehouse.query import FORMATS

# nflfastR play-by-play: a file, not a tracking folder (qb_assets/ingest/pbp_ingest.py).
PBP_FORMAT = "nflfastr"
EXIT_INPUT_ERROR = 1
EXIT_LAYOUT_ERROR = 2


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _print_json(value: dict) -> int:
    print(json.dumps(value, indent=2, default=str))
    return 0


def _write_picture(png: bytes, info: dict, out: str) -> int:
    Path(out).write_bytes(png)
    return _print_json({**info, "out": out})


def cmd_generate(args: argparse.Namespace) -> int:
    from qb_assets.synthetic.season import TRAINING_VINTAGE_MIX, generate_season  # noqa: PLC0415

    mix = {"bdb2023": None, "training": TRAINING_VINTAGE_MIX}.get(args.vintages, {args.vintages: 1.0})
    return _print_json(
        generate_season(
            args.out_dir,
            season=args.season,
            weeks=parse_int_ranges(args.weeks),
            games_per_week=args.games_per_week,
            seed=args.seed,
            progress=_log,
            vintage_mix=mix,
        )
    )


def cmd_ingest(args: argparse.Namespace) -> int:
    from qb_assets.ingest.pbp_ingest import ingest_pbp, is_pbp_file  # noqa: PLC0415
    from qb_assets.ingest.pipeline import ingest_problems, ingest_source  # noqa: PLC0415

    if args.format == PBP_FORMAT or (args.format == "auto" and is_pbp_file(args.source)):
        summary = ingest_pbp(args.source, args.lake, progress=_log)
    else:
        summary = ingest_source(args.source, args.lake, layout=args.format, progress=_log)
    _print_json(summary)
    # What was accepted is published; a cut file or a run that accepted nothing still fails the command.
    problem = ingest_problems(summary)
    if problem:
        _log(f"qb-score: error: {problem}")
        return EXIT_INPUT_ERROR
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    from qb_assets.features.store import build_features  # noqa: PLC0415

    return _print_json(build_features(args.lake, progress=_log))


def cmd_train(args: argparse.Namespace) -> int:
    from qb_assets.model.situation import MODE_SITUATION, train_situation_model  # noqa: PLC0415
    from qb_assets.model.training import train_baseline_models, train_model  # noqa: PLC0415

    schedule = {"epochs": args.epochs} if args.epochs is not None else {}  # else the config's
    overrides = {"device": args.device, "seed": args.seed, "refit": args.refit, **schedule}
    if args.mode == MODE_SITUATION:
        if not args.train_seasons:
            raise ValueError("--mode situation needs --train-seasons (e.g. 2017-2018)")
        seasons = parse_int_ranges(args.train_seasons)
        return _print_json(
            train_situation_model(args.lake, args.model_root, seasons, _log, args.keep, **overrides)
        )
    if args.train_seasons:
        raise ValueError("--train-seasons is for --mode situation; tracking models split by --test-weeks")
    if args.test_weeks:
        overrides["test_weeks"] = tuple(parse_int_ranges(args.test_weeks))
    summary = train_model(args.lake, args.model_root, progress=_log, keep_versions=args.keep, **overrides)
    if args.baselines:  # the Gaussian head and the trees on the same split, for `evaluate` to compare
        summary.update(train_baseline_models(args.lake, summary["model_dir"], progress=_log))
    return _print_json(summary)


def cmd_models(args: argparse.Namespace) -> int:
    from qb_assets.model.store import list_versions  # noqa: PLC0415
    from qb_assets.model.versions_table import format_versions_table  # noqa: PLC0415

    versions = list_versions(args.model_root)
    print(json.dumps(versions, indent=2) if args.json else format_versions_table(versions))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from qb_assets.model.evaluation import evaluate_model, format_metrics_table  # noqa: PLC0415
    from qb_assets.synthetic.oracle import truth_oracles  # noqa: PLC0415

    truth = Path(args.truth) if args.truth else None
    if truth is not None and truth.suffix == ".parquet":  # the truth file itself: its season's folder
        truth = truth.parent
    oracles = truth_oracles(truth) if truth is not None else None
    result = evaluate_model(args.lake, resolve_model_dir(args.model), oracles=oracles, progress=_log)
    print(json.dumps(result, indent=2) if args.json else format_metrics_table(result))
    return 0


def cmd_evaluate_pbp(args: argparse.Namespace) -> int:
    from qb_assets.model.evaluation import format_metrics_table  # noqa: PLC0415
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


def cmd_score(args: argparse.Namespace) -> int:
    from qb_assets.model.situation import MODE_SITUATION, model_mode  # noqa: PLC0415
    from qb_assets.scoring.score import score_lake  # noqa: PLC0415
    from qb_assets.scoring.situation import score_situation_lake  # noqa: PLC0415
    from qb_assets.warehouse.backend import WarehouseLocation  # noqa: PLC0415
    from qb_assets.warehouse.load import load_lake  # noqa: PLC0415

    version_dir = resolve_model_dir(args.model)
    situation = model_mode(version_dir) == MODE_SITUATION
    summary = (score_situation_lake if situation else score_lake)(args.lake, version_dir, progress=_log)
    for line in summary.get("applicability_warnings", []):
        _log(f"qb-score: warning: {line}")
    if args.warehouse:
        warehouse = WarehouseLocation(args.warehouse, args.warehouse_data or "")
        summary["warehouse"] = load_lake(args.lake, warehouse, progress=_log)
    return _print_json(summary)


def cmd_explain(args: argparse.Namespace) -> int:
    from qb_assets.scoring.explain import explain_play  # noqa: PLC0415

    picture = explain_play(args.lake, resolve_model_dir(args.model), args.game_id, args.play_id)
    return _write_picture(*picture, args.out)


def cmd_score_play(args: argparse.Namespace) -> int:
    from qb_assets.scoring.live import LivePlayScorer, read_play_rows  # noqa: PLC0415

    play = read_play_rows(args.tracking_file, args.game_id, args.play_id)
    return _print_json(LivePlayScorer(resolve_model_dir(args.model)).score_rows(play).as_dict())


def cmd_chart(args: argparse.Namespace) -> int:
    from qb_assets.scoring.plots import weekly_chart  # noqa: PLC0415

    return _write_picture(*weekly_chart(args.warehouse, args.qb, args.season), args.out)


def cmd_query(args: argparse.Namespace) -> int:
    from qb_assets.warehouse.query import run_query  # noqa: PLC0415

    print(run_query(args.sql, args.warehouse, args.format))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from qb_assets.cli.demo import run_demo  # noqa: PLC0415

    if args.pbp:
        from qb_assets.cli.pbp_demo import PBP_DEMO_EPOCHS, run_pbp_demo  # noqa: PLC0415

        if args.source:
            raise ValueError("--pbp and --source are two sources: give one")
        epochs = args.epochs if args.epochs is not None else PBP_DEMO_EPOCHS
        return run_pbp_demo(Path(args.workdir), args.pbp, epochs=epochs, log=_log)
    if args.epochs is not None:
        raise ValueError("--epochs is for --pbp (the tracking demo trains its models for a fixed 15 epochs)")
    return run_demo(Path(args.workdir), source=args.source, seed=args.seed, log=_log)


def add_data_commands(commands: argparse._SubParsersAction) -> None:
    """generate, ingest, features."""
    generate = commands.add_parser("generate", help="write a synthetic season in Big Data Bowl 2023 layout")
    generate.add_argument("out_dir")
    generate.add_argument("--season", type=int, default=2024)
    generate.add_argument("--weeks", default="1-4", help="e.g. 1-4 or 1,3,5 (default 1-4)")
    generate.add_argument("--games-per-week", type=int, default=16)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument(
        "--vintages",
        choices=("bdb2023", "bdb2021", "bdb2019", "training"),
        default="bdb2023",
        help="tracking vintage of every game, or 'training': the mix a model for real tracking is trained "
        "on (60%% BDB 2023, 30%% BDB 2021 without linemen, 10%% BDB 2019)",
    )
    generate.set_defaults(run=cmd_generate)

    ingest = commands.add_parser(
        "ingest", help="ingest tracking files (a folder or one file), or a play-by-play file, into the lake"
    )
    ingest.add_argument(
        "source",
        help="a folder of tracking files (any names) and plays/games/players tables, one tracking file "
        "(CSV, CSV.gz, Parquet), or one nflfastR play-by-play file",
    )
    ingest.add_argument("--lake", required=True, help="lake root folder")
    ingest.add_argument(
        "--format",
        default="auto",
        choices=(*LAYOUT_CHOICES, PBP_FORMAT),
        help="force a layout, or nflfastr for play-by-play (default: detect)",
    )
    ingest.set_defaults(run=cmd_ingest)

    features = commands.add_parser("features", help="play tensors and derived features per week")
    features.add_argument("--lake", required=True, help="lake root folder")
    features.set_defaults(run=cmd_features)


MODEL_HELP = (
    "a model version folder, a model root (its accepted version) or the model store folder QB_MODELS "
    "(e.g. work/models: its sbp root's accepted version)"
)


def add_model_commands(commands: argparse._SubParsersAction) -> None:
    """train, models, evaluate, evaluate-pbp."""
    train = commands.add_parser("train", help="train the TCN + SBP model on the feature store")
    train.add_argument("--lake", required=True)
    train.add_argument(
        "--model-root",
        "--model",
        dest="model_root",
        required=True,
        help="model root: the run publishes MODEL_ROOT/<version>/ (--model is the older name)",
    )
    train.add_argument(
        "--keep",
        type=int,
        default=DEFAULT_KEEP_VERSIONS,
        help=f"newest versions to keep; the accepted one is always kept (default {DEFAULT_KEEP_VERSIONS})",
    )
    train.add_argument(
        "--mode",
        default="tracking",
        choices=("tracking", "situation"),
        help="tracking: the passing + execution models on the feature store (default); situation: the "
        "situation-only model on the lake's play-by-play",
    )
    train.add_argument(
        "--train-seasons", default=None, help="situation mode: the seasons fitted, e.g. 2017-2018"
    )
    train.add_argument("--epochs", type=int, default=None, help="the schedule's epochs (default: config's)")
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
    train.add_argument(
        "--baselines",
        action="store_true",
        help="also train the Gaussian-head and tree baselines on the same split (for `evaluate`)",
    )
    train.set_defaults(run=cmd_train)

    models = commands.add_parser("models", help="list the model versions under a model root")
    models.add_argument("--model-root", required=True, help="e.g. work/models/sbp")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    models.set_defaults(run=cmd_models)

    evaluate = commands.add_parser(
        "evaluate", help="held-out metrics of the models and their stored baselines (never trains)"
    )
    evaluate.add_argument("--lake", required=True)
    evaluate.add_argument("--model", required=True, help=MODEL_HELP)
    evaluate.add_argument(
        "--truth",
        default=None,
        help="a generated season's folder (or its truth.parquet): adds each model's oracle",
    )
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(run=cmd_evaluate)

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


WAREHOUSE_HELP = "a DuckDB file, or ducklake:CATALOG (a DuckDB file or postgres:CONNECTION-STRING)"


def add_score_commands(commands: argparse._SubParsersAction) -> None:
    """score, explain, score-play, query, chart."""
    score = commands.add_parser("score", help="score every pass attempt and load the DuckDB warehouse")
    score.add_argument("--lake", required=True)
    score.add_argument("--model", required=True, help=MODEL_HELP)
    score.add_argument("--warehouse", default=None, help=f"the warehouse to load into: {WAREHOUSE_HELP}")
    score.add_argument(
        "--warehouse-data",
        default=None,
        help="a new DuckLake's data folder or s3://bucket/prefix (default for a catalog file: beside it)",
    )
    score.set_defaults(run=cmd_score)

    explain = commands.add_parser("explain", help="picture of one play's predicted distribution")
    explain.add_argument("game_id", type=int)
    explain.add_argument("play_id", type=int)
    explain.add_argument("--lake", required=True)
    explain.add_argument("--model", required=True, help=MODEL_HELP)
    explain.add_argument("--out", required=True, help="PNG file to write")
    explain.set_defaults(run=cmd_explain)

    add_score_play_command(commands, MODEL_HELP, cmd_score_play)

    query = commands.add_parser("query", help="run one read-only SQL statement against the warehouse")
    query.add_argument("sql", help='one SQL statement, e.g. "SELECT * FROM qb_season_scores LIMIT 5"')
    query.add_argument("--warehouse", required=True, help=f"the warehouse: {WAREHOUSE_HELP}")
    query.add_argument("--format", default="table", choices=FORMATS, help="output format (default: table)")
    query.set_defaults(run=cmd_query)

    # argparse formats help strings with %: a literal percent sign is written %%.
    chart = commands.add_parser("chart", help="a QB's passing score by week with its 90%% interval")
    chart.add_argument("qb", help="the passer's nflId or display name")
    chart.add_argument("--season", type=int, required=True)
    chart.add_argument("--warehouse", required=True, help=f"the warehouse: {WAREHOUSE_HELP}")
    chart.add_argument("--out", required=True, help="PNG file to write")
    chart.set_defaults(run=cmd_chart)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qb-score", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add_data_commands(commands)
    add_model_commands(commands)
    add_score_commands(commands)
    demo = commands.add_parser("demo", help="the embedded default end to end, through Dagster")
    demo.add_argument("--workdir", default="work", help="the season, lake and DAGSTER_HOME (default ./work)")
    demo.add_argument("--source", default=None, help="a tracking folder instead of a synthetic season")
    demo.add_argument(
        "--pbp",
        default=None,
        metavar="FILE",
        help="an nflfastR play-by-play file: ingest it, train the situation model on all but the last "
        "season, score all, show the last season's top 10 qualified passers",
    )
    demo.add_argument(
        "--epochs", type=int, default=None, help="situation model epochs with --pbp (default 10)"
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
