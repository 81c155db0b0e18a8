"""The season generator with per-play ground truth and latent skills, and the oracle computed from that
truth: a data source like any other, imported only by ``defs``, ``cli``, tests and benchmarks. May
import ``common``, ``io``, ``ingest`` and ``ml``."""
