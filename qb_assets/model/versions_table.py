"""The model store's versions (``model.store.list_versions``) as a Markdown table, for the command line
and the demo."""

from __future__ import annotations

from qb_assets.common.ranges import format_int_ranges

VERSION_COLUMNS = (
    "version",
    "created (UTC)",
    "data",
    "plays",
    "passing test NLL",
    "passing test CRPS",
    "passing test PIT KS",
    "check",
    "accepted",
)


def format_versions_table(versions: list[dict]) -> str:
    """``list_versions`` as a Markdown table, newest first; ``check`` is the regression verdict."""
    verdicts = {True: "passed", False: "failed", None: "not evaluated"}
    lines = ["| " + " | ".join(VERSION_COLUMNS) + " |", "|---" * len(VERSION_COLUMNS) + "|"]
    for row in versions:
        data, test = row["data"], row["test"]
        cells = [
            row["version"] + (" (candidate)" if row["candidate"] else ""),
            row["created_at"][:19].replace("T", " "),
            f"{format_int_ranges(data['seasons'] or [])} weeks {format_int_ranges(data['weeks'] or [])}",
            str(data["plays"]),
            *(f"{test[k]:.4f}" if test.get(k) is not None else "-" for k in ("nll", "crps", "pit_ks")),
            verdicts[row["passed_regression_check"]],
            "yes" if row["accepted"] else "no",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
