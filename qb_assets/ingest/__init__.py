"""Ingestion: Big Data Bowl layouts, the source's plays/games/players tables, events, normalization,
outcomes, quarantine rules, partition assembly, the ingest pipeline and its expectation suites;
nflfastR play-by-play. May import ``common`` and ``io``."""
