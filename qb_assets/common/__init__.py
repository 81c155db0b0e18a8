"""Small helpers every package may import: the progress callback type, integer ranges as typed on a
command line, the Great Expectations suite runner, and the project files (``sql/``, ``dagster.yaml``)
found in the installed package or the checkout."""
