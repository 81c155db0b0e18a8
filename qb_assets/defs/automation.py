"""Jobs and automation: the nightly season refresh and the new-tracking-files sensor.

* ``weekly_refresh`` (one season x week): ingest, features, scores with the accepted model, warehouse.
* ``train_model``: gather the feature store, train a new model version, compare, check, and promote it
  to the accepted version if the blocking regression check passed (else the accepted one stays).
* ``full_refresh``: every asset. A run is one partition key plus the unpartitioned model assets; to
  rebuild several seasons, backfill ``weekly_refresh`` over the partitions (each week is its own run,
  which is how the work fans out), run ``train_model``, then backfill ``weekly_refresh`` again to
  rescore.

When the source is one nflfastR play-by-play file (``TrackingSourceResource.is_play_by_play``), the
same three jobs run the ``pbp`` group instead (``refresh_jobs``): ``weekly_refresh`` = ``pbp_plays``,
``pbp_scores``, ``warehouse``; ``train_model`` = ``situation_model``; ``full_refresh`` = the ``pbp``
group and ``warehouse``. The schedule and the sensor name the job, so they run either.

The nightly schedule is custom because ``build_schedule_from_partitioned_job`` takes only time-window
or static partitions: at 06:00 UTC it requests ``weekly_refresh`` for the latest NIGHTLY_WEEKS weeks of
the current season found in the tracking source (late stat corrections land in the last weeks; in
January and February those are postseason weeks). Seasons and weeks are dynamic partitions
(``partitions.py``): the sensor requests the seasons and weeks of the runs it requests, the schedule adds
its own to the instance, so neither requests a partition the instance does not have. Both the
schedule and the sensor start STOPPED; turn them on in the UI (Automation) or with
``dagster schedule start nightly_season_refresh`` / ``dagster sensor start new_tracking_files``.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.model import (
    baseline_models,
    model_evaluation,
    promoted_model,
    sbp_model,
    training_set,
)
from qb_assets.defs.partitions import (
    add_partitions,
    add_partitions_requests,
    partition_key,
)
from qb_assets.defs.pbp import GROUP as PBP_GROUP
from qb_assets.defs.pbp import pbp_plays, pbp_scores, situation_model
from qb_assets.defs.resources import TrackingSourceResource
from qb_assets.defs.scoring import play_scores
from qb_assets.defs.warehouse import warehouse

NIGHTLY_WEEKS = 2
WEEKLY_REFRESH, TRAIN_MODEL, FULL_REFRESH = "weekly_refresh", "train_model", "full_refresh"


def refresh_jobs(play_by_play: bool = False) -> list[dg.UnresolvedAssetJobDefinition]:
    """``weekly_refresh``, ``train_model`` and ``full_refresh`` over the tracking assets, or over the
    ``pbp`` group for a play-by-play source (module docstring)."""
    if play_by_play:
        weekly = [pbp_plays, pbp_scores, warehouse]
        training = [situation_model]
        everything = dg.AssetSelection.groups(PBP_GROUP) | dg.AssetSelection.assets(warehouse)
        trained = "Train a situation model version on the lake's play-by-play, check it, and accept it if "
        trained += "it passed situation_model_not_regressed."
    else:
        weekly = [raw_tracking, play_features, play_scores, warehouse]
        training = [training_set, sbp_model, baseline_models, model_evaluation, promoted_model]
        everything = dg.AssetSelection.all() - dg.AssetSelection.groups(PBP_GROUP)
        trained = "Gather the feature store, train a new SBP model version and the baselines, evaluate "
        trained += "and check them, and promote the version if it passed model_not_regressed."
    return [
        dg.define_asset_job(
            WEEKLY_REFRESH,
            selection=weekly,
            description="One season x week: ingest, features, scores with the accepted model, warehouse.",
        ),
        dg.define_asset_job(TRAIN_MODEL, selection=training, description=trained),
        dg.define_asset_job(
            FULL_REFRESH,
            selection=everything,
            description="Every asset for one season x week, retraining on the whole lake in between.",
        ),
    ]


weekly_refresh, train_model, full_refresh = refresh_jobs()


def current_season(when) -> int:
    """The NFL season running on a date: September to February belongs to the September's year."""
    return when.year if when.month >= 3 else when.year - 1


@dg.schedule(
    job_name=WEEKLY_REFRESH,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=f"Nightly: weekly_refresh for the latest {NIGHTLY_WEEKS} weeks of the current season.",
)
def nightly_season_refresh(context: dg.ScheduleEvaluationContext, tracking_source: TrackingSourceResource):
    season = current_season(context.scheduled_execution_time)
    weeks = sorted(week for s, week in tracking_source.plan() if s == season)[-NIGHTLY_WEEKS:]
    if not weeks:
        return dg.SkipReason(f"no tracking files for season {season} in {tracking_source.uri}")
    # A schedule cannot return dynamic partition requests (a sensor can): add the season and weeks here.
    added = add_partitions(context.instance, [(season, week) for week in weeks])
    if added:
        context.log.info(f"added to the partitions: {', '.join(added)}")
    day = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return [
        dg.RunRequest(run_key=f"nightly-{day}-{season}-{week}", partition_key=partition_key(season, week))
        for week in weeks
    ]


@dg.sensor(
    job_name=WEEKLY_REFRESH,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests weekly_refresh for the partitions of new or changed files in the tracking source, "
    "adding the seasons it finds to the season partitions.",
)
def new_tracking_files(context: dg.SensorEvaluationContext, tracking_source: TrackingSourceResource):
    seen = json.loads(context.cursor) if context.cursor else {}
    files = tracking_source.open().list_files()
    current = {f.uri: f.fingerprint for f in files}  # from the listing: no request per file
    changed = {uri for uri, stamp in current.items() if seen.get(uri) != stamp}
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not changed:
        return dg.SkipReason("no new or changed files in the tracking source")
    # A changed plays/games/players table touches every week; a tracking file only its own.
    tables_changed = any(f.is_table for f in files if f.uri in changed)
    requests = {}
    for (season, week), week_files in tracking_source.plan().items():
        if tables_changed or changed & {f.uri for f in week_files}:
            stamps = "".join(sorted(current[f.uri] for f in week_files))
            version = hashlib.sha256(stamps.encode()).hexdigest()[:12]
            requests[(season, week)] = dg.RunRequest(
                run_key=f"{season}-{week}-{version}", partition_key=partition_key(season, week)
            )
    return dg.SensorResult(
        run_requests=list(requests.values()),
        dynamic_partitions_requests=add_partitions_requests(context.instance, requests),
    )
