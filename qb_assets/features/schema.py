"""The one feature schema: what the two models read, what is for analysis only, and its version hash.

Model inputs are known at the release; anything measured later (arrival, outcome, air yards) is
analysis-only and never fed to a model. Model artifacts record ``schema_hash()`` and scoring refuses
an artifact whose hash differs.

Two input sets are read from the same feature table (``INPUT_SETS``):

* ``execution`` (today's model): the situation plus the chosen target (``DERIVED_INPUTS``: the target's
  separation, depth, ...), with the play tensor in the target-first slot order ``SLOTS``.
* ``passing`` (the headline model): nothing that depends on which receiver was targeted. The
  situation, the QB and pocket (``QB_INPUTS``), the receiving options at the release
  (``OPTION_COLUMNS``, see below) and their summaries (``FIELD_SUMMARY_INPUTS``), with the play
  tensor in the target-free slot order ``PASSING_SLOTS``.

Play tensor, per play: ``(MAX_FRAMES, 22, len(CHANNELS))`` float32, frames from the snap to the
release inclusive, left-aligned (frame 0 = the first kept frame) and zero-padded after ``n_frames``;
plays longer than MAX_FRAMES keep their last MAX_FRAMES frames (``frames_truncated``). One tensor is
stored per play, in the passing order, with ``execution_slot_order`` (22 ints): execution slot j holds
stored slot ``execution_slot_order[j]``; the loader applies it for the execution set.

Execution slots: the QB; the target receiver; the other offensive players by distance to the QB at
the snap; the defenders by distance to the target at the release. Passing slots: the QB; the receiving
options in option order; the other offensive players by distance to the QB at the snap; the defenders
by distance to the QB at the snap. Ties by nfl_id; a player untracked at the ordering frame sorts last
on his side; untracked players (BDB 2021 tracks no linemen) leave zero slots with ``slot_present``
false.

Channels: x relative to the line of scrimmage and y relative to the ball's y at the snap (yd),
velocity and acceleration components (yd/s, yd/s^2), and direction and orientation encoded as
sin/cos so that 359 and 1 degrees are neighbours (orientation is 0/0 where the layout has none).
"""

from __future__ import annotations

import hashlib
import json

FEATURE_SCHEMA_VERSION = 2
MAX_FRAMES = 60
OFFENSE_SLOTS = 11
SLOTS = (
    "qb",
    "target",
    *(f"offense_{i}" for i in range(1, OFFENSE_SLOTS - 1)),
    *(f"defense_{i}" for i in range(1, 12)),
)
PASSING_SLOTS = (
    "qb",
    *(f"offense_{i}" for i in range(1, OFFENSE_SLOTS)),
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
# The situation a tracking-only source lacks (situation_known false, these take STATIC_DEFAULTS); the
# yards to the end zone come from the tracking and games_remaining from the calendar, so stay known.
SITUATION_FROM_PLAY_TABLE = ("down", "yards_to_go", "quarter", "half_seconds_remaining", "score_difference")
# The execution model's derived inputs (target-defined); v1's DERIVED_INPUTS, unchanged.
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
# Target-free QB and pocket inputs (a subset of DERIVED_INPUTS).
QB_INPUTS = (
    "time_to_throw_s",
    "qb_nearest_defender_at_release_yd",
    "under_pressure",
    "pass_rushers",
    "qb_speed_at_release",
)
# Receiving options (features/field.py): eligible receivers = offensive players other than the passer
# who are not linemen, by position when known, else by alignment at the snap.
OPTION_COUNT = 5
LINEMAN_POSITIONS = ("C", "G", "T", "OC", "OG", "OT", "OL", "LT", "LG", "RG", "RT", "LS")
LINE_HALF_WIDTH_YD = 3.5  # fallback: within this of the ball's y at the snap ...
LINE_DEPTH_YD = 2.5  # ... and at most this far behind the line of scrimmage = a lineman
OPEN_SEPARATION_YD = 2.5  # an option this far from his nearest defender at the release is open
OPTION_RULE = (
    "eligible receivers: offensive players tracked at the release, other than the passer, whose "
    f"position is not one of {', '.join(LINEMAN_POSITIONS)}; where the position is unknown, a lineman "
    f"is a player within {LINE_HALF_WIDTH_YD} yd laterally of the ball and at most {LINE_DEPTH_YD} yd "
    "behind the line of scrimmage at the snap (untracked at the snap: not a lineman). Options are the "
    f"{OPTION_COUNT} farthest downfield at the release, ordered by depth at the release (deepest first, "
    "ties by nfl_id); missing options take OPTION_DEFAULTS with option_k_present false"
)
OPTION_FIELDS = (
    "present",
    "depth_at_release_yd",
    "separation_at_release_yd",
    "defenders_within_2yd_at_release",
    "speed_at_release_yd_s",
    "downfield_speed_at_release_yd_s",
    "sideline_distance_at_release_yd",
    "throw_distance_at_release_yd",
)
OPTION_COLUMNS = tuple(f"option_{k}_{name}" for k in range(1, OPTION_COUNT + 1) for name in OPTION_FIELDS)
OPTION_DEFAULTS = {name: (False if name == "present" else 0) for name in OPTION_FIELDS}
FIELD_SUMMARY_INPUTS = (
    "receiving_options",
    "best_option_separation_at_release_yd",
    "open_options_at_release",
    "deepest_option_depth_at_release_yd",
)
FIELD_SUMMARY_DEFAULTS = {name: 0 for name in FIELD_SUMMARY_INPUTS}
PASSING_INPUTS = (*QB_INPUTS, *OPTION_COLUMNS, *FIELD_SUMMARY_INPUTS)
INPUT_SETS = {
    "execution": {"static": STATIC_INPUTS, "derived": DERIVED_INPUTS, "slots": SLOTS},
    "passing": {"static": STATIC_INPUTS, "derived": PASSING_INPUTS, "slots": PASSING_SLOTS},
}
DEFAULT_INPUT_SET = "execution"
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


def input_set(name: str) -> dict[str, tuple[str, ...]]:
    """The static inputs, derived inputs and slot names of the input set ``name`` (``INPUT_SETS``)."""
    if name not in INPUT_SETS:
        raise ValueError(f"unknown feature input set {name!r}; expected one of {sorted(INPUT_SETS)}")
    return INPUT_SETS[name]


def feature_schema() -> dict:
    """The schema as data (what an artifact records next to its hash)."""
    return {
        "version": FEATURE_SCHEMA_VERSION,
        "tensor": {
            "max_frames": MAX_FRAMES,
            "channels": list(CHANNELS),
            "stored_slot_order": "passing",
            "slots": {name: list(spec["slots"]) for name, spec in INPUT_SETS.items()},
            "slot_rules": {
                "execution": "qb; target; other offense by distance to the qb at the snap; defense by "
                "distance to the target at the release",
                "passing": "qb; receiving options in option order; other offense by distance to the qb "
                "at the snap; defense by distance to the qb at the snap",
            },
        },
        "input_sets": {
            name: {"tabular": [*spec["static"], *spec["derived"]]} for name, spec in INPUT_SETS.items()
        },
        "static_inputs": list(STATIC_INPUTS),
        "static_defaults": STATIC_DEFAULTS,
        "derived_inputs": list(DERIVED_INPUTS),
        "option_rule": OPTION_RULE,
        "option_defaults": OPTION_DEFAULTS,
        "field_summary_defaults": FIELD_SUMMARY_DEFAULTS,
        "open_separation_yd": OPEN_SEPARATION_YD,
        "analysis_only": list(ANALYSIS_ONLY),
        "label": LABEL,
    }


def schema_hash() -> str:
    """A short, stable hash of ``feature_schema()``: any change to inputs or tensor layout changes it."""
    text = json.dumps(feature_schema(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
