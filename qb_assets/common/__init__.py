"""Small helpers every package may import: the progress callback type, integer ranges as typed on a
command line, and the Great Expectations suite runner."""
