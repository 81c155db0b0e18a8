"""Tests of ml.sbp's interface: the network constructor (sbp_from_raw), dtypes and devices, argument
validation, and the yard range justified on the real play-by-play data."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
import torch
from torch.nn import functional as F

from ml.sbp import YARD_BIN_COUNT, YARD_BINS, SplicedBinnedPareto, sbp_from_raw
from tests.ml.sbp_cases import DTYPES, make_sbp

# ----- the network constructor ------------------------------------------------------------------------------


def test_sbp_from_raw() -> None:
    k = 10
    g = torch.Generator().manual_seed(8)
    raw = (5 * torch.randn(4, 3, k + 4, generator=g)).requires_grad_()
    d = sbp_from_raw(raw, -1.0, 4.0)
    assert d.batch_shape == (4, 3)
    assert d.num_bins == k
    torch.testing.assert_close(d.logits, raw[..., :k])
    torch.testing.assert_close(
        d.lower_xi, F.softplus(raw[..., k])
    )  # layout [logits, xi_L, beta_L, xi_U, beta_U]
    torch.testing.assert_close(d.lower_beta, F.softplus(raw[..., k + 1]) + 1e-3 * 0.5)
    torch.testing.assert_close(d.upper_xi, F.softplus(raw[..., k + 2]))
    torch.testing.assert_close(d.upper_beta, F.softplus(raw[..., k + 3]) + 1e-3 * 0.5)
    assert bool((d.lower_beta >= 5e-4).all() and (d.upper_xi >= 0).all())
    x = torch.linspace(-3.0, 6.0, 3)[:, None, None]
    (grad,) = torch.autograd.grad(d.training_loss(x).sum() + d.log_prob(x).sum(), raw)
    assert bool(torch.isfinite(grad).all())
    assert float(grad.abs().sum()) > 0

    capped = sbp_from_raw(torch.full((k + 4,), 50.0), -1.0, 4.0, xi_max=0.9, beta_min=0.01)
    assert 0 < float(capped.upper_xi) <= 0.9
    assert math.isfinite(float(capped.mean))
    floor = sbp_from_raw(torch.full((k + 4,), -200.0), -1.0, 4.0, beta_min=0.01)
    assert float(floor.lower_beta) == pytest.approx(0.01)
    assert float(floor.lower_xi) == 0.0


# ----- dtype, device, validation --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtype_follows_parameters(dtype: torch.dtype) -> None:
    d = make_sbp(dtype)
    assert d.lower_threshold.dtype == dtype
    for value in (torch.tensor([0.1, 1.0], dtype=torch.float64), torch.tensor([0, 1]), 0.5):
        assert d.log_prob(value).dtype == dtype
        assert d.cdf(value).dtype == dtype
    assert d.sample((3,)).dtype == dtype
    assert d.mean.dtype == dtype


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device in this environment")
def test_cuda_device() -> None:
    d = make_sbp(batch=(3,))
    dc = SplicedBinnedPareto(
        d.logits.cuda(),
        d.lower_xi.cuda(),
        d.lower_beta.cuda(),
        d.upper_xi.cuda(),
        d.upper_beta.cuda(),
        -2.0,
        3.0,
    )
    torch.manual_seed(0)
    s = dc.sample((100, 2))
    assert s.device.type == "cuda"
    torch.testing.assert_close(dc.cdf(s).cpu(), d.cdf(s.cpu()))
    torch.testing.assert_close(dc.integer_log_prob(s.round()).cpu(), d.integer_log_prob(s.round().cpu()))


def test_argument_validation() -> None:
    logits = torch.zeros(5)
    ok = dict(lower_xi=0.1, lower_beta=1.0, upper_xi=0.1, upper_beta=1.0)
    with pytest.raises(ValueError, match="K >= 2"):
        SplicedBinnedPareto(torch.zeros(1), **ok, bins_lower_bound=0.0, bins_upper_bound=1.0)
    with pytest.raises(ValueError, match="K >= 2"):
        SplicedBinnedPareto(torch.tensor(0.0), **ok, bins_lower_bound=0.0, bins_upper_bound=1.0)
    for a, b in ((1.0, 1.0), (2.0, 1.0), (-math.inf, 1.0)):
        with pytest.raises(ValueError, match="bins_lower_bound must be < bins_upper_bound"):
            SplicedBinnedPareto(logits, **ok, bins_lower_bound=a, bins_upper_bound=b)
    for p in (0.0, 0.5, -0.1, 0.7):
        with pytest.raises(ValueError, match="tail_percentile"):
            SplicedBinnedPareto(logits, **ok, bins_lower_bound=0.0, bins_upper_bound=1.0, tail_percentile=p)
    with pytest.raises(ValueError, match="lower_beta"):
        SplicedBinnedPareto(logits, 0.1, 0.0, 0.1, 1.0, 0.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match="upper_beta"):
        SplicedBinnedPareto(logits, 0.1, 1.0, 0.1, -2.0, 0.0, 1.0, validate_args=True)
    with pytest.raises(ValueError, match="logits"):
        SplicedBinnedPareto(torch.tensor([0.0, math.nan]), **ok, bins_lower_bound=0.0, bins_upper_bound=1.0)
    with pytest.raises(ValueError, match="does not broadcast to batch_shape"):
        SplicedBinnedPareto(torch.zeros(3, 5), torch.zeros(4), 1.0, 0.1, 1.0, 0.0, 1.0)
    d = SplicedBinnedPareto(logits, **ok, bins_lower_bound=0.0, bins_upper_bound=1.0, validate_args=True)
    with pytest.raises(ValueError, match="u in"):
        d.icdf(torch.tensor(1.5))
    with pytest.raises(ValueError, match="support"):
        d.log_prob(torch.tensor(math.nan))
    # Without validation, invalid probabilities give NaN rather than an error.
    d = SplicedBinnedPareto(logits, **ok, bins_lower_bound=0.0, bins_upper_bound=1.0, validate_args=False)
    assert math.isnan(float(d.icdf(torch.tensor(1.5))))
    with pytest.raises(ValueError, match="K \\+ 4"):
        sbp_from_raw(torch.zeros(5), 0.0, 1.0)
    with pytest.raises(ValueError, match="beta_min"):
        sbp_from_raw(torch.zeros(8), 0.0, 1.0, beta_min=0.0)
    with pytest.raises(ValueError, match="xi_max"):
        sbp_from_raw(torch.zeros(8), 0.0, 1.0, xi_max=-1.0)


# ----- the yard range, justified on the real play-by-play data --------------------------------------------


def test_yard_bins_cover_real_pass_outcomes(real_dir: Path) -> None:
    a, b = YARD_BINS
    assert round(b - a) == YARD_BIN_COUNT  # one-yard bins centred on the integers
    pbp = pl.read_parquet(
        real_dir / "nflfastr_pbp_2017_2019.parquet", columns=["yards_gained", "play_type_nfl"]
    )
    yards = (
        pbp.filter(pl.col("play_type_nfl").is_in(["PASS", "SACK"]))["yards_gained"].drop_nulls().drop_nans()
    )
    assert len(yards) > 50_000
    outside = ((yards < a) | (yards > b)).mean()
    assert outside < 1e-3  # measured 0.022% (13 of 59,284): far below the 5% tail mass
    plays = pl.read_csv(
        real_dir / "bdb2019_plays_2017_weeks1-6.csv", null_values=["NA"], infer_schema_length=20_000
    )
    result = plays.filter(pl.col("PassResult").is_in(["C", "I", "IN"]))["PlayResult"].drop_nulls()
    assert ((result < a) | (result > b)).mean() < 1e-3  # measured 0.048% (3 of 6,259)
    # The 5% / 95% quantiles, where the thresholds sit, are well inside the range.
    assert a + 10 < yards.quantile(0.05) and yards.quantile(0.95) < b - 10
