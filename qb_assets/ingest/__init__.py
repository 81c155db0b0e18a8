"""Ingestion: Big Data Bowl layouts, events, normalization, outcomes, quarantine rules, partition
assembly, the ingest pipeline and its expectation suites; nflfastR play-by-play. May import ``common``
and ``io``."""
