"""The one feature schema: what the model reads, what is for analysis only, and its version hash.

Model inputs are known at the release; anything measured later (arrival, outcome, air yards) is
analysis-only and never fed to a model. Model artifacts record ``schema_hash()`` and scoring refuses
an artifact whose hash differs.

Play tensor, per play: ``(MAX_FRAMES, len(SLOTS), len(CHANNELS))`` float32, frames from the snap to
the release inclusive, left-aligned (frame 0 = the first kept frame) and zero-padded after
``n_frames``; plays longer than MAX_FRAMES keep their last MAX_FRAMES frames (``frames_truncated``).

Slots, fixed order: the QB; the target receiver; the other offensive players by distance to the QB at
the snap; the defenders by distance to the target at the release. Untracked players (BDB 2021 tracks
no linemen) leave zero slots with ``slot_present`` false.

Channels: x relative to the line of scrimmage and y relative to the ball's y at the snap (yd),
velocity and acceleration components (yd/s, yd/s^2), and direction and orientation encoded as
sin/cos so that 359 and 1 degrees are neighbours (orientation is 0/0 where the layout has none).
"""

from __future__ import annotations

import hashlib
import json

FEATURE_SCHEMA_VERSION = 1
MAX_FRAMES = 60
OFFENSE_SLOTS = 11
SLOTS = (
    "qb",
    "target",
    *(f"offense_{i}" for i in range(1, OFFENSE_SLOTS - 1)),
    *(f"defense_{i}" for i in range(1, 12)),
)
CHANNELS = (
    "x_from_los_yd",
    "y_from_ball_at_snap_yd",
    "vx_yd_s",
    "vy_yd_s",
    "ax_yd_s2",
    "ay_yd_s2",
    "dir_sin",
    "dir_cos",
    "o_sin",
    "o_cos",
)
# Channels whose sign flips when a play is mirrored across the field's long axis (y -> -y): the field is
# symmetric, so training may mirror plays at random (the y offset, vy, ay and the cosines of the
# clockwise-from-+y angles).
MIRROR_SIGN_CHANNELS = tuple(
    CHANNELS.index(c) for c in ("y_from_ball_at_snap_yd", "vy_yd_s", "ay_yd_s2", "dir_cos", "o_cos")
)
# Static situation; missing values (tracking-only sources) are imputed and flagged by situation_known.
STATIC_INPUTS = (
    "down",
    "yards_to_go",
    "yards_to_endzone",
    "quarter",
    "half_seconds_remaining",
    "score_difference",
    "games_remaining",
    "situation_known",
)
STATIC_DEFAULTS = {
    "down": 1,
    "yards_to_go": 10,
    "quarter": 2,
    "half_seconds_remaining": 900,
    "score_difference": 0,
    "games_remaining": 8,
}
DERIVED_INPUTS = (
    "time_to_throw_s",
    "defenders_within_2yd_of_target_at_release",
    "target_separation_at_release_yd",
    "qb_nearest_defender_at_release_yd",
    "under_pressure",
    "pass_rushers",
    "qb_speed_at_release",
    "target_depth_at_release_yd",
    "target_speed_at_release_yd_s",
    "target_downfield_speed_at_release_yd_s",
    "target_sideline_distance_at_release_yd",
    "defenders_within_5yd_of_target_at_release",
    "throw_distance_at_release_yd",
)
ANALYSIS_ONLY = (
    "defenders_within_2yd_of_target_at_arrival",
    "air_yards",
    "is_deep",
    "time_to_throw_bucket",
    "frames_truncated",
    "pass_result",
)
LABEL = "yards_gained"
KEYS = ("game_id", "play_id", "passer_nfl_id", "target_nfl_id", "possession_team", "defensive_team")


def feature_schema() -> dict:
    """The schema as data (what an artifact records next to its hash)."""
    return {
        "version": FEATURE_SCHEMA_VERSION,
        "tensor": {"max_frames": MAX_FRAMES, "slots": list(SLOTS), "channels": list(CHANNELS)},
        "static_inputs": list(STATIC_INPUTS),
        "static_defaults": STATIC_DEFAULTS,
        "derived_inputs": list(DERIVED_INPUTS),
        "analysis_only": list(ANALYSIS_ONLY),
        "label": LABEL,
    }


def schema_hash() -> str:
    """A short, stable hash of ``feature_schema()``: any change to inputs or tensor layout changes it."""
    text = json.dumps(feature_schema(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
