"""The ``qb-score`` command line and the demo. Like ``defs``, it may import Dagster and the generator."""
