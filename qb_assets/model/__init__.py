"""Training and evaluating the ``ml`` models on the feature store, and the rule that accepts a model
for scoring. May import ``common``, ``io``, ``ingest``, ``features`` and ``ml``."""
