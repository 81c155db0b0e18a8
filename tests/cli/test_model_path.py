"""``--model`` takes what a user points at: a version folder, a model root (its accepted version), or the
model store folder itself (``QB_MODELS``, which holds the ``sbp`` root)."""

from __future__ import annotations

from pathlib import Path

from qb_assets.model.store import promote, publish_version, resolve_model_dir
from tests.conftest import qb_score
from tests.model.test_store import evaluated, filler


def test_the_model_store_folder_means_its_accepted_version(tmp_path: Path) -> None:
    store = tmp_path / "models"  # QB_MODELS: training_set.json and sbp/
    first, _ = publish_version(store / "sbp", filler(0))
    evaluated(first, passed=True)
    promote(store / "sbp", first.name)
    second, _ = publish_version(store / "sbp", filler(1))  # the candidate, not accepted
    assert resolve_model_dir(str(store)) == first
    assert resolve_model_dir(str(store / "sbp")) == first
    assert resolve_model_dir(str(second)) == second


def test_a_store_without_an_accepted_version_names_the_root_it_looked_in(tmp_path: Path) -> None:
    store = tmp_path / "models"
    publish_version(store / "sbp", filler(0))
    result = qb_score("score", "--lake", str(tmp_path / "lake"), "--model", str(store))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{store / 'sbp'}: no accepted model" in result.stderr
