"""A child process for the crash tests: ingests SOURCE into LAKE and stops in the middle of its
CRASH_AT-th Parquet write (half the file's bytes on disk), prints ``mid-write PATH`` and waits to be
killed. Run as ``python -m tests.integration.crash_writer SOURCE LAKE CRASH_AT``."""

from __future__ import annotations

import io
import os
import sys
import time

import polars as pl

from qb_assets.ingest.pipeline import ingest_source


def stop_mid_write(crash_at: int) -> None:
    """Patch ``DataFrame.write_parquet`` so that its ``crash_at``-th call to a local path writes half
    of the file, flushes it, announces itself on stdout and hangs until the parent kills the process."""
    write_parquet = pl.DataFrame.write_parquet
    calls = 0

    def writes_half_then_hangs(self: pl.DataFrame, file, **kwargs):
        nonlocal calls
        calls += 1
        if calls < crash_at or not isinstance(file, str | os.PathLike):  # a buffer: an S3 upload
            return write_parquet(self, file, **kwargs)
        buffer = io.BytesIO()
        write_parquet(self, buffer, **kwargs)
        data = buffer.getvalue()
        with open(file, "wb") as out:
            out.write(data[: len(data) // 2])
            out.flush()
        print(f"mid-write {file}", flush=True)
        time.sleep(600)
        raise SystemExit("the parent did not kill the writer")

    pl.DataFrame.write_parquet = writes_half_then_hangs


if __name__ == "__main__":
    source, lake, crash_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    stop_mid_write(crash_at)
    ingest_source(source, lake)
    raise SystemExit("the ingest finished without reaching the crash point")
