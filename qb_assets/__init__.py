"""qb-score: an NFL Next Gen Stats-style QB passing score from player-tracking data.

``defs`` is the Dagster code location, ``cli`` the command line; the other packages are the libraries
they call, one per stage (``ingest``, ``features``, ``model``, ``scoring``, ``warehouse``) plus ``io``,
``common`` and the season generator ``synthetic``."""
