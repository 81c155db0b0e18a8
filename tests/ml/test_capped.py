"""The field boundaries (docs/sbp.md section 8): ``ml.capped.CappedYards``, the censored training loss, the
capped metrics and scores, and the goal line on a model trained through the pipeline.

U is the touchdown yardage (the rounded distance to the end zone, at least 1), L = U - 100 the offense's own
goal line. References are the uncapped SBP's own ``cdf`` / ``integer_log_prob`` and scipy; random draws use
fixed seeds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from ml.capped import CappedYards
from ml.compare import sbp_pmf
from ml.config import TrainConfig, TrainingData
from ml.evaluate import YARD_GRID, cap_pmf, gaussian_pmf, pmf_metrics
from ml.inference import capped_distribution, predict_raw, sbp_distribution, to_tensors
from ml.sbp import YARD_BINS, SplicedBinnedPareto, sbp_from_raw
from ml.score import score_plays
from ml.tcn import PassOutcomeNet
from ml.train import marginal_logits, sbp_loss

CONFIG = TrainConfig()
GRID = torch.as_tensor(YARD_GRID, dtype=torch.float64)[:, None]  # (G, 1) against a (N,) batch


def random_plays(n: int, seed: int = 0, scale: float = 1.0) -> tuple[torch.Tensor, ...]:
    """(raw SBP head outputs (n, 114) float64, lower (n,), upper (n,)) with U uniform on 1..99."""
    g = torch.Generator().manual_seed(seed)
    raw = scale * torch.randn(n, 114, generator=g, dtype=torch.float64)
    upper = torch.randint(1, 100, (n,), generator=g).to(torch.float64)
    return raw, upper - 100.0, upper


def sbp_of(raw: torch.Tensor) -> SplicedBinnedPareto:
    """The training configuration's SBP in the dtype of ``raw`` (``sbp_distribution`` casts to float32)."""
    return sbp_from_raw(raw, *YARD_BINS, tail_percentile=CONFIG.tail_percentile, xi_max=CONFIG.xi_max)


def grid_index(yards: torch.Tensor) -> torch.Tensor:
    return (yards - YARD_GRID[0]).long()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pmf_sums_to_one_with_the_boundary_masses(dtype: torch.dtype) -> None:
    raw, lower, upper = random_plays(64)
    sbp = sbp_of(raw.to(dtype))
    capped = CappedYards(sbp, lower, upper)
    pmf = capped.integer_log_prob(GRID.to(dtype)).exp().double()  # (G, N)
    rows, tol = torch.arange(64), 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(pmf.sum(0), torch.ones(64, dtype=torch.float64), atol=tol, rtol=0)
    at_u, at_l = pmf[grid_index(upper), rows], pmf[grid_index(lower), rows]
    torch.testing.assert_close(at_u, 1 - sbp.cdf((upper - 0.5).to(dtype)).double(), atol=tol, rtol=0)
    torch.testing.assert_close(at_l, sbp.cdf((lower + 0.5).to(dtype)).double(), atol=tol, rtol=0)
    outside = (lower > GRID) | (upper < GRID)
    assert (pmf[outside] == 0).all()
    inside = (lower < GRID) & (upper > GRID)
    uncapped = sbp.integer_log_prob(GRID.to(dtype).expand(-1, 64)).exp().double()
    assert torch.equal(pmf[inside], uncapped[inside])
    # ml.compare.sbp_pmf, the evaluation's representation, puts the same capped masses on YARD_GRID.
    grid_pmf = sbp_pmf(raw.float(), CONFIG, lower.float(), upper.float())
    np.testing.assert_allclose(grid_pmf.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(grid_pmf[rows, grid_index(upper)], at_u.numpy(), atol=1e-5)
    assert (grid_pmf[outside.T.numpy()] == 0).all()


def test_touchdown_percentile_is_the_top_band() -> None:
    raw, lower, upper = random_plays(64, seed=1)
    sbp = sbp_of(raw)
    capped = CappedYards(sbp, lower, upper)
    f_goal = sbp.cdf(upper - 0.5)
    touchdown = capped.interval_cdf(upper)
    torch.testing.assert_close(touchdown, (f_goal + 1) / 2, atol=1e-12, rtol=0)
    torch.testing.assert_close(capped.interval_cdf(upper + 7), touchdown)  # a label beyond U is clipped
    torch.testing.assert_close(capped.interval_cdf(lower), sbp.cdf(lower + 0.5) / 2, atol=1e-12, rtol=0)
    torch.testing.assert_close(capped.interval_cdf(lower - 7), capped.interval_cdf(lower))
    below_goal = torch.where((lower <= GRID) & (upper > GRID), capped.interval_cdf(GRID), -1.0)
    assert (below_goal.amax(0) <= f_goal + 1e-12).all() and (touchdown > f_goal).all()
    low, high = capped.cdf_bounds(upper)
    assert torch.equal(low, f_goal) and (high == 1).all()


def test_capped_mean_equals_the_grid_sum() -> None:
    raw, lower, upper = random_plays(200, seed=2, scale=2.0)
    capped = CappedYards(sbp_of(raw), lower, upper)
    grid_mean = (GRID * capped.integer_log_prob(GRID).exp()).sum(0)
    torch.testing.assert_close(capped.mean, grid_mean, atol=1e-9, rtol=0)
    assert ((capped.mean >= lower) & (capped.mean <= upper)).all()
    uncapped = CappedYards(sbp_of(raw), None, None)  # no bounds: the SBP's own mean
    torch.testing.assert_close(uncapped.mean, sbp_of(raw).mean)
    as_trained = capped_distribution(raw, CONFIG, lower, upper)  # float32, as training and scoring use it
    torch.testing.assert_close(as_trained.mean.double(), grid_mean, atol=1e-4, rtol=0)


def test_quantiles_lie_in_the_field_and_invert_the_capped_cdf() -> None:
    raw, lower, upper = random_plays(64, seed=3)
    capped = CappedYards(sbp_of(raw), lower, upper)
    u = torch.linspace(0, 1, 41, dtype=torch.float64)[:, None]
    q = capped.icdf(u)
    assert ((q >= lower) & (q <= upper)).all()
    assert (capped.cdf(q) >= u - 1e-12).all()
    assert torch.equal(capped.icdf(torch.ones(1, dtype=torch.float64)), upper)
    torch.testing.assert_close(capped.expected_percentile(capped), torch.full_like(upper, 0.5))


def test_randomized_pit_of_capped_samples_is_uniform() -> None:
    n = 20_000
    raw, lower, upper = random_plays(n, seed=4)
    capped = CappedYards(sbp_of(raw), lower, upper)
    torch.manual_seed(5)
    yards = capped.sample()
    assert ((yards >= lower) & (yards <= upper)).all() and torch.equal(yards, yards.round())
    share_u, expected_u = float((yards == upper).double().mean()), float(capped.upper_mass.mean())
    assert abs(share_u - expected_u) < 4 * np.sqrt(expected_u * (1 - expected_u) / n)
    low, high = capped.cdf_bounds(yards)
    v = torch.rand(n, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
    assert stats.kstest((low + v * (high - low)).numpy(), "uniform").pvalue > 0.01
    assert abs(float(capped.interval_cdf(yards).mean()) - 0.5) < 4 * np.sqrt(1 / 12 / n)
    # The uncapped SBP's bounds (the old scores) are not calibrated for the capped outcomes.
    sbp = capped.distribution
    old = sbp.cdf(yards - 0.5) + v * (sbp.cdf(yards + 0.5) - sbp.cdf(yards - 0.5))
    assert stats.kstest(old.numpy(), "uniform").pvalue < 1e-6


def test_censored_loss_recovers_the_touchdown_probability() -> None:
    """An unconditional SBP fitted to yards min(round(X), U) with X ~ N(6, 8) and four goal lines U: the
    censored loss recovers P(X >= U - 0.5) at every U; the plain loss (the old one) learns a mixture of
    spikes instead and misses it."""
    rng = np.random.default_rng(0)
    goal = np.array([5.0, 10.0, 15.0, 25.0], dtype=np.float32)
    yards = torch.tensor(np.minimum(np.rint(rng.normal(6, 8, (1500, len(goal)))), goal), dtype=torch.float32)
    upper = torch.tensor(goal)
    truth = 1 - stats.norm.cdf((goal - 0.5 - 6) / 8)

    def touchdown_probability(bounds: tuple) -> np.ndarray:
        torch.manual_seed(0)
        raw = torch.cat([marginal_logits(yards.numpy().ravel()), torch.zeros(4)]).requires_grad_()
        optimizer = torch.optim.Adam([raw], lr=0.08)
        for _ in range(60):
            jitter = torch.rand(yards.shape) - 0.5
            loss = sbp_loss(raw.expand(len(goal), -1), yards + jitter, CONFIG, *bounds)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            fitted = capped_distribution(raw.expand(len(goal), -1), CONFIG, upper - 100, upper)
            return fitted.upper_mass.numpy()

    np.testing.assert_allclose(touchdown_probability((upper - 100, upper)), truth, atol=0.025)
    assert np.abs(touchdown_probability((None, None)) - truth).max() > 0.05


def test_censored_loss_terms_and_gradient() -> None:
    raw, lower, upper = random_plays(8, seed=7)
    raw = raw.float().requires_grad_()
    lower, upper = lower.float(), upper.float()
    capped = capped_distribution(raw, CONFIG, lower, upper)
    sbp = capped.distribution
    inside = lower + 0.5 * (upper - lower)
    torch.testing.assert_close(capped.training_loss(inside), sbp.training_loss(inside))
    torch.testing.assert_close(capped.training_loss(upper - 0.5), -sbp.log_survival(upper - 0.5))
    torch.testing.assert_close(capped.training_loss(upper + 30), -sbp.log_survival(upper - 0.5))
    torch.testing.assert_close(capped.training_loss(lower + 0.49), -sbp.log_cdf(lower + 0.5))
    # Without boundaries the loss is the paper's loss, as before.
    labels = torch.linspace(-30, 120, 8)
    torch.testing.assert_close(sbp_loss(raw, labels, CONFIG), sbp.training_loss(labels).mean())
    # A touchdown's loss moves mass past U - 0.5: one gradient step raises 1 - F(U - 0.5).
    sbp_loss(raw, upper + 0.2, CONFIG, lower, upper).backward()
    assert torch.isfinite(raw.grad).all()
    with torch.no_grad():
        stepped = capped_distribution(raw - 0.1 * raw.grad, CONFIG, lower, upper)
        assert (stepped.upper_mass > capped.upper_mass).all()


def test_bounds_are_checked() -> None:
    sbp = sbp_distribution(torch.zeros(3, 114), CONFIG)
    with pytest.raises(ValueError, match="lower < upper"):
        CappedYards(sbp, torch.tensor([0.0, 0, 0]), torch.tensor([1.0, 0, 1]))
    with pytest.raises(ValueError, match="integer yards"):
        CappedYards(sbp, -99.0, torch.tensor([1.0, 2.5, 3]))
    with pytest.raises(ValueError, match="broadcast"):
        CappedYards(sbp, -99.0, torch.ones(4))
    ones = np.ones(3, np.float32)
    with pytest.raises(ValueError, match="both lower_yd and upper_yd"):
        TrainingData(None, ones, ones[:, None], ones, ones, ones, lower_yd=ones)
    with pytest.raises(ValueError, match="below upper_yd"):
        TrainingData(None, ones, ones[:, None], ones, ones, ones, lower_yd=ones, upper_yd=ones)


def test_metrics_cap_every_pmf() -> None:
    """pmf_metrics with boundaries: the Gaussian's mass at or beyond U - 0.5 sits on U (exactly
    1 - Phi(U - 0.5), off-grid mass included), labels beyond U are clipped and count as touchdowns."""
    mean, std = np.array([5.0, 60.0]), np.array([10.0, 40.0])
    lower, upper = np.array([-90.0, -20.0]), np.array([10.0, 80.0])
    capped = cap_pmf(gaussian_pmf(mean, std), lower, upper)
    np.testing.assert_allclose(capped.sum(1), 1.0, atol=1e-12)
    at_u = capped[[0, 1], (upper - YARD_GRID[0]).astype(int)]
    np.testing.assert_allclose(at_u, stats.norm.sf((upper - 0.5 - mean) / std), atol=1e-12)
    at_l = capped[[0, 1], (lower - YARD_GRID[0]).astype(int)]
    np.testing.assert_allclose(at_l, stats.norm.cdf((lower + 0.5 - mean) / std), atol=1e-12)
    beyond = pmf_metrics(gaussian_pmf(mean, std), np.array([30.0, -50.0]), lower=lower, upper=upper)
    clipped = pmf_metrics(capped, np.array([10.0, -20.0]))
    assert beyond.nll == pytest.approx(clipped.nll) and beyond.crps == pytest.approx(clipped.crps)


def test_score_plays_caps_and_zeroes_interceptions() -> None:
    n = 300
    rng = np.random.default_rng(8)
    tabular = rng.normal(size=(n, 3)).astype(np.float32)
    upper = rng.integers(1, 100, n).astype(np.float32)
    yards = np.minimum(rng.integers(-30, 60, n), upper).astype(np.float32)
    ones = np.ones(n, dtype=np.int64)
    data = TrainingData(None, ones, tabular, yards, ones, ones, lower_yd=upper - 100, upper_yd=upper)
    torch.manual_seed(0)
    model = PassOutcomeNet(None, tabular_features=3, out_features=114).eval()
    tensors = to_tensors(data, np.arange(n), torch.device("cpu"))
    intercepted = rng.uniform(size=n) < 0.2
    scores = score_plays(model, CONFIG, tensors, yards, intercepted=intercepted)
    plain = score_plays(model, CONFIG, tensors, yards)
    capped = capped_distribution(predict_raw(model, tensors), CONFIG, *tensors[4:6])
    mid = capped.interval_cdf(torch.from_numpy(yards)).double().numpy()
    assert (scores["percentile"][intercepted] == 0).all()
    np.testing.assert_allclose(scores["percentile"][~intercepted], mid[~intercepted], atol=1e-7)
    np.testing.assert_allclose(plain["percentile"], mid, atol=1e-7)
    for key in ("cdf_lower", "cdf_upper", "q05", "q95", "expected_yards"):
        assert np.array_equal(scores[key], plain[key])  # the PIT stays yards-based
    touchdown = yards >= upper
    assert touchdown.any() and (scores["cdf_upper"][touchdown] == 1).all()
    for key in ("q05", "predicted_median", "q95", "expected_yards"):
        assert ((scores[key] >= upper - 100) & (scores[key] <= upper)).all()


def test_trained_model_respects_the_goal_line(small_season: tuple[Path, Path], trained_model: Path) -> None:
    """The pipeline's models (trained by qb_assets.model.training.train_model on a generated season) and
    their features: no play has mass beyond its goal line in the evaluation pmf, and a touchdown's score
    is the top band (F(U - 0.5) + 1) / 2 of its play."""
    from ml.artifacts import load_artifact  # noqa: PLC0415
    from qb_assets.features.store import training_data  # noqa: PLC0415
    from qb_assets.model.training import model_dir  # noqa: PLC0415

    _, lake = small_season
    data, plays = training_data(str(lake), inputs="execution")
    to_goal = plays["yards_to_endzone"].to_numpy()
    np.testing.assert_array_equal(data.upper_yd, np.maximum(np.round(to_goal), 1))
    np.testing.assert_array_equal(data.lower_yd, data.upper_yd - 100)
    model, config, _ = load_artifact(model_dir(trained_model, "execution"), data.meta["feature_schema_hash"])
    tensors = to_tensors(data, np.arange(len(data.label)), torch.device("cpu"))
    pmf = sbp_pmf(predict_raw(model, tensors), config, *tensors[4:6])
    np.testing.assert_allclose(pmf.sum(1), 1.0, atol=1e-5)
    assert (pmf[YARD_GRID[None, :] > data.upper_yd[:, None]] == 0).all()
    assert (pmf[YARD_GRID[None, :] < data.lower_yd[:, None]] == 0).all()
    intercepted = (plays["pass_result"] == "IN").to_numpy()
    scores = score_plays(model, config, tensors, data.label, intercepted=intercepted)
    touchdown = (data.label >= data.upper_yd) & ~intercepted
    assert touchdown.sum() >= 5
    f_goal = scores["cdf_lower"][touchdown]
    np.testing.assert_allclose(scores["percentile"][touchdown], (f_goal + 1) / 2, atol=1e-6)
    assert (scores["cdf_upper"][touchdown] == 1).all() and (scores["percentile"][touchdown] >= f_goal).all()
    assert (scores["q95"] <= data.upper_yd).all() and (scores["expected_yards"] <= data.upper_yd).all()
    assert (scores["percentile"][intercepted] == 0).all()
