"""Training and evaluating the ``ml`` models on the feature store, the rule that accepts a model for
scoring, and the model store (immutable versions, the accepted pointer, retention). May import
``common``, ``io``, ``ingest``, ``features`` and ``ml``."""
