"""The concurrency pools the assets sit in, and the limit a deployment gives each.

``duckdb``: the warehouse load (one writer per embedded DuckDB file; a DuckLake on a PostgreSQL catalog
takes concurrent writers, so its limit can be raised). ``gpu``: model training (one at a time on the
training task). The instance files give every pool a default limit of 1; a deployment on PostgreSQL also
sets these limits explicitly once (``dagster instance concurrency set duckdb 1``, README "Scale-out"):
Dagster 1.13 creates a pool's default limit on first use, and two runs doing that at the same moment
on PostgreSQL fail one of them (a duplicate-key error aborts its transaction)."""

from __future__ import annotations

DUCKDB_POOL = "duckdb"
GPU_POOL = "gpu"
POOL_LIMITS: dict[str, int] = {DUCKDB_POOL: 1, GPU_POOL: 1}
