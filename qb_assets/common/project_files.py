"""Files kept at the top of the repository that the code reads at run time: ``sql/`` (the warehouse
schema and views) and ``dagster.yaml`` (the demo's Dagster instance).

An installed wheel has no repository around it, so ``pyproject.toml`` ships these files inside the
package as ``qb_assets/project_files/`` (the data package ``qb_assets.project_files`` maps to the
repository root and takes only them). A checkout, editable install or not, reads them in place.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGED = "project_files"
CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def project_file(name: str) -> Traversable:
    """The project file or folder ``name`` (relative to the repository root, e.g. ``"sql"``): the copy
    the wheel ships when the package is installed, else the checkout's."""
    packaged = files("qb_assets") / PACKAGED / name
    if packaged.is_file() or packaged.is_dir():
        return packaged
    in_checkout = CHECKOUT_ROOT / name
    if in_checkout.exists():
        return in_checkout
    raise FileNotFoundError(
        f"{name} is neither in the installed package ({packaged}) nor in a checkout ({in_checkout}); "
        "reinstall qb-score"
    )
