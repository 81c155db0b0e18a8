"""The DuckDB warehouse: loading the lake's partitions (``load``) and the sandboxed read side
(``query``). May import ``common`` and ``io``."""
