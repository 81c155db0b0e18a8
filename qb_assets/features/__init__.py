"""Feature engineering with Polars: play tensors, derived and static features, the feature store and
its expectation suite. May import ``common``, ``io``, ``ingest`` and ``ml``."""
