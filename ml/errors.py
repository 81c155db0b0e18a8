"""Exceptions of the ml package, importable without torch (the CLI maps them to exit codes)."""


class ArtifactError(Exception):
    """A model artifact that cannot be used: missing files or a feature schema that does not match."""
