"""Running a Great Expectations 1.x suite on a Polars frame (dagster-ge predates GX 1.x).

``run_suite`` validates one partition's frame against a list of expectations in an ephemeral GX
context and returns a ``SuiteOutcome``, which ``defs`` turns into a blocking asset check and the CLI
prints. The suites themselves live with their stage: ``ingest.expectations`` (tracking, plays) and
``features.expectations`` (the feature table).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import polars as pl
import polars.selectors as cs

FAILED_EXAMPLES = 5


@dataclass
class SuiteOutcome:
    """One suite's result: success, how many expectations ran, and each failure's details."""

    suite: str
    success: bool
    evaluated: int
    failures: list[dict] = field(default_factory=list)

    @property
    def description(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations passed"
        return f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed: " + "; ".join(
            f"{f['expectation']}({f['column']}) "
            + (
                f"raised: {f['error']}"
                if f["error"]
                else f"{f['unexpected_count']} unexpected, e.g. {f['examples']}"
            )
            for f in self.failures
        )


def gx_module():
    """great_expectations, imported on first use (a 3 s import) with its logging quietened."""
    import great_expectations as gx  # noqa: PLC0415 - 3 s import, only when a suite runs

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def _exception_message(info: dict | None) -> str | None:
    """GX reports an expectation that raised either directly or per metric: find the first message."""
    if not info:
        return None
    if info.get("raised_exception"):
        return info.get("exception_message")
    nested = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    return nested[0].get("exception_message") if nested else None


def pandas_batch(frame: pl.DataFrame):
    """``frame`` as the pandas frame GX validates, its integers as int64 and its floats as float64: GX's
    pandas range check is vectorized for those two dtypes only and calls a Python function per value on
    any other (a week's players-per-side counts, UInt32, took 3.5 s of the 5 s tracking suite)."""
    return frame.with_columns(cs.integer().cast(pl.Int64), cs.float().cast(pl.Float64)).to_pandas()


def _suite(gx, name: str, expectations: list):
    """An expectation suite ``name`` of ``expectations``."""
    suite = gx.ExpectationSuite(name=name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite


def run_suite(name: str, frame: pl.DataFrame, expectations: list) -> SuiteOutcome:
    """Validate ``frame`` against ``expectations`` (GX expectation objects) as the suite ``name``."""
    gx = gx_module()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    batch_definition = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe(name)
    )
    batch = batch_definition.get_batch(batch_parameters={"dataframe": pandas_batch(frame)})
    # Pass or fail first (BOOLEAN_ONLY), then the counts and examples of the failed expectations only:
    # computing them for every expectation (GX's default) doubles the time of a passing suite.
    result = batch.validate(_suite(gx, name, expectations), result_format="BOOLEAN_ONLY")
    failed = [item.expectation_config.to_domain_obj() for item in result.results if not item.success]
    details = batch.validate(_suite(gx, name, failed), result_format="BASIC").results if failed else []
    failures = []
    for item in details:
        config = item.expectation_config
        kwargs = config.kwargs
        failures.append(
            {
                "expectation": config.type,
                "column": kwargs.get("column") or ",".join(kwargs.get("column_list", [])),
                "unexpected_count": item.result.get("unexpected_count"),
                "examples": [
                    str(v) for v in (item.result.get("partial_unexpected_list") or [])[:FAILED_EXAMPLES]
                ],
                "error": _exception_message(item.exception_info),
            }
        )
    return SuiteOutcome(name, bool(result.success), len(result.results), failures)
