"""The Dagster code location: the only package (with ``cli``) that imports Dagster. One module per
stage holds its assets and their checks; the work is done by the libraries they call."""
