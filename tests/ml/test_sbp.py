"""Tests of ml.sbp / ml.gpd, the distribution's values: docs/sbp.md section 5 items 1-8 and 10 (headed
"docs/sbp.md 5.N" below) and integer outcomes. Gradients and fitting (items 9 and 11) are in
test_sbp_gradients.py; the network constructor, dtypes, devices, validation and the yard range in
test_sbp_interface.py.

References are scipy (genpareto, quad, kstest) in float64. Tolerances are those of docs/sbp.md section 5
where it gives them; float32 variants use the float32 figure of the spec or, where the spec has none, a bound
derived from the conditioning and stated at the assertion. Every random draw uses a fixed seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch.nn import functional as F

from ml.gpd import gpd_icdf, gpd_log_prob, gpd_log_sf
from ml.sbp import YARD_BIN_COUNT, YARD_BINS, SplicedBinnedPareto
from tests.ml.sbp_cases import DTYPES, P, body_breaks, make_sbp, pdf_fn, quad_pieces, support_ends

# ----- docs/sbp.md 5.1: the pdf integrates to 1, whatever the bin width -------------------------------------


@pytest.mark.parametrize(
    ("k", "a", "b"),
    [(20, -1.5, 1.5), (22, -50.0, 50.0), (YARD_BIN_COUNT, *YARD_BINS)],
    ids=["w=0.15", "w=4.545", "yards w=1"],
)
def test_pdf_integrates_to_one_quad(k: int, a: float, b: float) -> None:
    # GluonTS' log-mass body integrates to (1-2p) w + 2p: 0.235 and 4.19 for the first two widths.
    d = make_sbp(k=k, a=a, b=b, beta_l=0.1 * (b - a), beta_u=0.2 * (b - a))
    lo, hi = support_ends(d)
    total = quad_pieces(pdf_fn(d), [lo, *body_breaks(d), hi])
    assert total == pytest.approx(1.0, abs=1e-6)


def test_pdf_integrates_to_one_float32_trapezoid() -> None:
    d = make_sbp(
        torch.float32, k=YARD_BIN_COUNT, a=YARD_BINS[0], b=YARD_BINS[1], xi_l=0.2, beta_l=3.0, beta_u=5.0
    )
    # Beyond +-600 yards the tails hold < 1e-6 of mass with these parameters.
    x = torch.arange(-600.0, 700.0, 2e-3, dtype=torch.float64).to(torch.float32)
    f = d.log_prob(x).exp()
    assert float(torch.trapezoid(f, x)) == pytest.approx(1.0, abs=1e-3)


# ----- docs/sbp.md 5.2: tail masses, also asymmetric and for xi in {-0.3, 0, 1e-7, 0.4} --------------------

TAIL_XIS = [-0.3, 0.0, 1e-7, 0.4]


# The float32 density is a staircase at the ulp scale, which quad reports as round-off (harmless at 1e-5).
@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xi", TAIL_XIS)
def test_tail_masses(dtype: torch.dtype, xi: float) -> None:
    tol = 1e-5 if dtype == torch.float32 else 1e-6
    # Asymmetric: the upper tail gets another xi of the list and another beta.
    xi_u = TAIL_XIS[(TAIL_XIS.index(xi) + 1) % len(TAIL_XIS)]
    d = make_sbp(dtype, xi_l=xi, beta_l=0.6, xi_u=xi_u, beta_u=1.9)
    lo, hi = support_ends(d)
    t_l, t_u = float(d.lower_threshold), float(d.upper_threshold)
    fn = pdf_fn(d)
    assert quad_pieces(fn, [lo, t_l]) == pytest.approx(P, abs=tol)
    assert quad_pieces(fn, [t_u, hi]) == pytest.approx(P, abs=tol)
    assert float(d.cdf(d.lower_threshold)) == pytest.approx(P, abs=tol)
    assert float(d.cdf(d.upper_threshold)) == pytest.approx(1 - P, abs=tol)


# ----- docs/sbp.md 5.3: shape of the CDF --------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_cdf_shape(dtype: torch.dtype) -> None:
    d = make_sbp(dtype)
    far = torch.logspace(0, 6, 2000, dtype=torch.float64)
    x = torch.cat([-far.flip(0) - 2.0, torch.linspace(-2.0, 3.0, 20001, dtype=torch.float64), far + 3.0]).to(
        dtype
    )
    cdf = d.cdf(x)
    assert bool(((cdf >= 0) & (cdf <= 1)).all())
    assert bool((cdf.diff() >= 0).all()), "F must be non-decreasing"
    assert float(cdf[0]) < 1e-6
    assert float(cdf[-1]) > 1 - 1e-6
    # Continuity at the thresholds: |F(t +- eps) - F(t)| <= eps * max f (+ a few float ulps of rounding).
    eps = 1e-3 if dtype == torch.float32 else 1e-6
    max_f = max(
        float(d._pi.max()) / d.bin_width, P / float(d.lower_beta), P / float(d.upper_beta)
    )  # each GPD density peaks at its threshold
    slack = 4 * torch.finfo(dtype).eps
    for t in (d.lower_threshold, d.upper_threshold):
        for s in (-eps, eps):
            assert abs(float(d.cdf(t + s) - d.cdf(t))) <= eps * max_f + slack


# ----- docs/sbp.md 5.4: round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xi", TAIL_XIS)
def test_round_trips(dtype: torch.dtype, xi: float) -> None:
    d = make_sbp(dtype, xi_l=xi, xi_u=xi)
    eps = torch.finfo(dtype).eps
    half = torch.logspace(-6, math.log10(0.5), 3000, dtype=torch.float64)
    u = torch.cat([half, 1 - half.flip(0)[1:]]).to(dtype)
    q = d.icdf(u)
    assert float((d.cdf(q) - u).abs().max()) <= (1e-6 if dtype == torch.float32 else 1e-10)
    if dtype == torch.float64:
        assert bool((q.diff() > 0).all()), "Q must be strictly increasing"
    else:  # float32 can tie neighbouring u on the grid
        assert bool((q.diff() >= 0).all())

    lo, hi = support_ends(d)
    x = torch.linspace(max(lo, -60.0), min(hi, 60.0), 40001, dtype=torch.float64)[1:-1].to(dtype)
    f = d.log_prob(x).exp()
    cdf = d.cdf(x)
    err = (d.icdf(cdf) - x).abs()
    spec_bound = 1e-5 * (1 + x.abs())
    if dtype == torch.float64:
        # The spec's bound where F itself is resolved (the u range of the first round trip) ...
        keep = (f > 0) & (cdf > 1e-6) & (cdf < 1 - 1e-6)
        assert bool((err <= spec_bound)[keep].all()), float((err / spec_bound)[keep].max())
    # ... and everywhere with f > 0 once the conditioning is added: F is known to ~eps absolute (1 - F
    # rounds in the far upper tail) and Q amplifies an error in F by 1/f.
    keep = (f > 0) & (cdf > 0) & (cdf < 1)
    bound = spec_bound + 4 * eps / f
    assert bool((err <= bound)[keep].all()), float((err / bound)[keep].max())


# ----- docs/sbp.md 5.5: sampling ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_sampling_matches_cdf(dtype: torch.dtype) -> None:
    torch.manual_seed(1234)
    d = make_sbp(dtype)
    n = 100_000
    x = d.sample((n,))
    assert x.shape == (n,)
    assert x.dtype == dtype
    pit = d.cdf(x).double().numpy()
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    frac_below = float((x < d.lower_threshold).double().mean())
    frac_above = float((x > d.upper_threshold).double().mean())
    sigma = math.sqrt(P * (1 - P) / n)
    assert abs(frac_below - P) <= 4 * sigma
    assert abs(frac_above - P) <= 4 * sigma


def test_sample_shape_and_distinct_draws() -> None:
    torch.manual_seed(7)
    d = make_sbp(batch=(3,))
    x = d.sample((4, 5))
    assert x.shape == (4, 5, 3)
    # GluonTS repeated the draws along the second sample dimension.
    assert torch.unique(x).numel() == x.numel()
    assert d.sample().shape == (3,)


# ----- docs/sbp.md 5.6: the GPD against scipy.stats.genpareto -----------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xi", [-0.3, 0.0, 1e-7, 1e-3, 0.3, 1.5])
def test_gpd_matches_scipy(dtype: torch.dtype, xi: float) -> None:
    rtol = 1e-5 if dtype == torch.float32 else 1e-10
    xi_t, beta_t = torch.tensor(xi, dtype=dtype), torch.tensor(1.7, dtype=dtype)
    # The reference sees exactly the rounded float32 inputs and parameters.
    ref = stats.genpareto(c=float(xi_t), scale=float(beta_t))
    # Near a finite endpoint S is ill-conditioned in y (relative condition z / (1 + xi z)); stop where
    # float32 rounding of y alone stays below the tolerance.
    top = -1.7 / xi * (0.9 if dtype == torch.float32 else 0.999) if xi < 0 else 200.0
    y = torch.linspace(0.0, top, 501, dtype=torch.float64).to(dtype)
    v = torch.cat([torch.linspace(0.0, 0.99, 100, dtype=torch.float64), 1 - torch.logspace(-2, -7, 50)])
    v = v.to(dtype)
    y64, v64 = y.double().numpy(), v.double().numpy()

    logpdf = gpd_log_prob(y, xi_t, beta_t).double().numpy()
    np.testing.assert_allclose(logpdf, ref.logpdf(y64), rtol=rtol, atol=rtol)  # atol: log-values near 0
    log_sf = gpd_log_sf(y, xi_t, beta_t).double().numpy()
    np.testing.assert_allclose(log_sf, ref.logsf(y64), rtol=rtol, atol=rtol)
    # S = exp(log S) inherits log S's absolute rounding |log S| eps as a relative error: compare S where
    # that stays below the tolerance (S > 1e-18 in float32, everywhere in float64).
    resolved = 4 * np.abs(ref.logsf(y64)) * torch.finfo(dtype).eps < rtol
    np.testing.assert_allclose(np.exp(log_sf)[resolved], ref.sf(y64)[resolved], rtol=rtol)
    np.testing.assert_allclose(gpd_icdf(v, xi_t, beta_t).double().numpy(), ref.ppf(v64), rtol=rtol)
    if xi == 0.0:
        np.testing.assert_allclose(logpdf, stats.expon(scale=1.7).logpdf(y64), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gpd_outside_support(dtype: torch.dtype) -> None:
    xi, beta = torch.tensor(-0.3, dtype=dtype), torch.tensor(1.5, dtype=dtype)
    beyond = torch.tensor([5.0 + 1e-3, 6.0, 1e6], dtype=dtype)  # endpoint -beta/xi = 5
    assert bool((gpd_log_prob(beyond, xi, beta) == -math.inf).all())
    assert bool((gpd_log_sf(beyond, xi, beta).exp() == 0).all())
    assert float(gpd_icdf(torch.tensor(1.0, dtype=dtype), xi, beta)) == pytest.approx(5.0, rel=1e-6)
    negative = torch.tensor([-1e-3, -5.0], dtype=dtype)
    for x in (xi, torch.zeros_like(xi), -xi):
        assert bool((gpd_log_prob(negative, x, beta) == -math.inf).all())
        assert bool((gpd_log_sf(negative, x, beta) == 0).all())


# ----- docs/sbp.md 5.7: known spliced quantiles -------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_known_spliced_quantiles(dtype: torch.dtype) -> None:
    rtol = 1e-5 if dtype == torch.float32 else 1e-12
    levels = torch.tensor([0.005, 0.995, 0.9995], dtype=dtype)
    # Expected excesses at the levels as rounded to dtype (float32 moves 1 - 0.9995 by 4e-5 relative).
    u = levels.double().tolist()
    d = make_sbp(dtype, xi_l=0.5, beta_l=1.0, xi_u=0.5, beta_u=1.0)
    t_l, t_u = float(d.lower_threshold), float(d.upper_threshold)
    q = d.icdf(levels).double()
    assert float(q[1]) - t_u == pytest.approx(2 * (((1 - u[1]) / P) ** -0.5 - 1), rel=rtol)
    assert float(q[2]) - t_u == pytest.approx(2 * (((1 - u[2]) / P) ** -0.5 - 1), rel=rtol)
    assert t_l - float(q[0]) == pytest.approx(2 * ((u[0] / P) ** -0.5 - 1), rel=rtol)
    d0 = make_sbp(dtype, xi_u=0.0, beta_u=1.3)
    q0 = float(d0.quantile(levels[1]))
    assert q0 - float(d0.upper_threshold) == pytest.approx(-1.3 * math.log((1 - u[1]) / P), rel=rtol)
    if dtype == torch.float64:  # the spec's constants
        assert float(q[1]) - t_u == pytest.approx(4.324555320336759, rel=1e-12)
        assert float(q[2]) - t_u == pytest.approx(18.0, rel=1e-12)
        assert t_l - float(q[0]) == pytest.approx(4.324555320336759, rel=1e-12)
        assert q0 - float(d0.upper_threshold) == pytest.approx(1.3 * 2.302585092994046, rel=1e-12)


# ----- docs/sbp.md 5.8: the density matches the CDF ---------------------------------------------------------


@pytest.mark.parametrize("xi", [-0.3, 0.0, 0.4])
def test_density_matches_cdf_difference(xi: float) -> None:
    d = make_sbp(xi_l=xi, xi_u=0.4 - xi)
    lo, hi = support_ends(d)
    rng = np.random.default_rng(3)
    x = rng.uniform(max(lo, -15.0), min(hi, 20.0), 2000)
    kinks = np.array(
        [float(e) for e in d._edges] + [float(d.lower_threshold), float(d.upper_threshold), lo, hi]
    )
    x = x[np.abs(x[:, None] - kinks[None, :]).min(1) > 1e-3]
    h = 1e-6
    xt = torch.as_tensor(x)
    dens = d.log_prob(xt).exp()
    diff = (d.cdf(xt + h) - d.cdf(xt - h)) / (2 * h)
    np.testing.assert_allclose(dens.numpy(), diff.numpy(), rtol=1e-4)


# ----- docs/sbp.md 5.10: regression tests for the GluonTS pitfalls ------------------------------------------


def test_binned_mean_is_sum_of_masses_times_centres() -> None:
    d = make_sbp(k=20, a=-2.0, b=3.0)
    pi = F.softmax(d.logits, -1).numpy()
    centres = -2.0 + (np.arange(20) + 0.5) * 0.25
    expected = float((pi * centres).sum())
    assert float(d.binned_mean) == pytest.approx(expected, rel=1e-12)  # GluonTS: expected / K


@pytest.mark.parametrize(("xi_l", "xi_u"), [(0.3, 0.4), (-0.3, 0.0), (0.6, -0.2)])
def test_mean_matches_integral(xi_l: float, xi_u: float) -> None:
    d = make_sbp(xi_l=xi_l, xi_u=xi_u)
    lo, hi = support_ends(d)
    pdf = pdf_fn(d)
    expected = quad_pieces(lambda x: x * pdf(x), [lo, *body_breaks(d), hi])
    assert float(d.mean) == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_mean_infinite_for_heavy_tails() -> None:
    assert float(make_sbp(xi_u=1.2).mean) == math.inf
    assert float(make_sbp(xi_l=1.0).mean) == -math.inf
    assert math.isnan(float(make_sbp(xi_l=1.0, xi_u=1.5).mean))


def test_mode_and_median() -> None:
    # Tied logits: GluonTS returned the sum of all tied centres (10.0 here); any body point is a mode.
    d = make_sbp(logits=torch.zeros(10), a=0.0, b=1.0, beta_l=1.0, beta_u=1.0)
    mode = float(d.mode)
    assert float(d.lower_threshold) <= mode <= float(d.upper_threshold)
    assert float(d.log_prob(torch.tensor(mode, dtype=torch.float64))) == pytest.approx(math.log(1.0))
    # A mode inside a peaked body: the log density there is the maximum over a fine grid.
    d = make_sbp(seed=4)
    grid = torch.linspace(-10, 10, 200_001, dtype=torch.float64)
    assert float(d.log_prob(d.mode)) >= float(d.log_prob(grid).max()) - 1e-12
    # A very narrow upper tail has the highest density p / beta_U, at its threshold.
    d = make_sbp(beta_u=1e-3)
    assert float(d.mode) == float(d.upper_threshold)
    # The median is Q_B(0.5).
    assert float(d.cdf(d.median)) == pytest.approx(0.5, abs=1e-12)


def test_value_shapes() -> None:
    n = 6
    d = make_sbp(batch=(n,))
    x = torch.linspace(-3, 4, n, dtype=torch.float64)
    for method in (
        "log_prob",
        "cdf",
        "log_cdf",
        "log_survival",
        "training_loss",
        "integer_log_prob",
        "interval_cdf",
    ):
        assert getattr(d, method)(x).shape == (n,), method  # (N,) accepted, as the contract says
        assert getattr(d, method)(x.expand(3, n)).shape == (3, n), method  # (*sample, *batch)
        assert getattr(d, method)(torch.tensor(0.5)).shape == (n,), method  # scalars broadcast
    # (N, 1) broadcasts against batch (N,) to (N, N), as in torch.distributions (GluonTS raised IndexError).
    assert d.log_prob(x[:, None]).shape == (n, n)
    assert d.icdf(torch.tensor([[0.1], [0.9]])).shape == (2, n)
    for prop in ("mean", "median", "mode", "lower_threshold", "upper_threshold", "binned_mean"):
        assert getattr(d, prop).shape == (n,), prop
    # Each batch element behaves like the same distribution built alone.
    alone = SplicedBinnedPareto(
        d.logits[2], d.lower_xi[2], d.lower_beta[2], d.upper_xi[2], d.upper_beta[2], -2.0, 3.0
    )
    torch.testing.assert_close(d.log_prob(x)[2], alone.log_prob(x[2]))
    torch.testing.assert_close(d.expand((4, n)).cdf(x)[3], d.cdf(x))


# ----- integer outcomes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bins", [YARD_BINS, (-2.3, 7.9)], ids=["yard-bins", "unaligned"])
def test_integer_log_prob_sums_to_one(dtype: torch.dtype, bins: tuple[float, float]) -> None:
    k = YARD_BIN_COUNT if bins == YARD_BINS else 17
    d = make_sbp(dtype, k=k, a=bins[0], b=bins[1], beta_l=4.0, beta_u=8.0)
    y = torch.arange(-100_000, 100_000, dtype=dtype)  # the tails beyond hold < 1e-13
    total = float(d.integer_log_prob(y).double().exp().sum())
    assert total == pytest.approx(1.0, abs=1e-5 if dtype == torch.float32 else 1e-10)


@pytest.mark.parametrize("bins", [YARD_BINS, (-2.3, 7.9)], ids=["yard-bins", "unaligned"])
def test_integer_log_prob_matches_cdf_differences(bins: tuple[float, float]) -> None:
    k = YARD_BIN_COUNT if bins == YARD_BINS else 17
    d = make_sbp(k=k, a=bins[0], b=bins[1], xi_l=-0.1, beta_l=4.0, beta_u=8.0)
    y = torch.arange(-60, 150, dtype=torch.float64)
    diff = d.cdf(y + 0.5) - d.cdf(y - 0.5)
    keep = diff > 1e-12
    torch.testing.assert_close(d.integer_log_prob(y)[keep], diff[keep].log(), rtol=1e-9, atol=1e-9)
    # Beyond the finite lower endpoint (t_L - 40) the mass is truly 0.
    assert float(d.integer_log_prob(torch.tensor(-1000.0, dtype=torch.float64))) == -math.inf


def test_integer_log_prob_far_tails_and_tiny_bins() -> None:
    # Far tails in float32: the CDF difference rounds to 0 there, the log-space pieces do not.
    d32, d64 = make_sbp(torch.float32), make_sbp()
    y = torch.tensor([-1e5, -300.0, 300.0, 1e5])
    assert bool((d32.cdf(y[-1:] + 0.5) - d32.cdf(y[-1:] - 0.5) == 0).all())
    lp32 = d32.integer_log_prob(y)
    assert bool(torch.isfinite(lp32).all())
    torch.testing.assert_close(lp32.double(), d64.integer_log_prob(y.double()), rtol=1e-4, atol=0)
    # One-yard bins: a body integer gets exactly log pi_k, even for a bin whose mass underflows float32.
    logits = torch.zeros(YARD_BIN_COUNT)
    logits[30] = -150.0  # the bin of y = 10
    d = make_sbp(torch.float32, k=YARD_BIN_COUNT, a=YARD_BINS[0], b=YARD_BINS[1], logits=logits)
    lp = d.integer_log_prob(torch.tensor([10.0, 12.0]))
    expected = F.log_softmax(logits, -1)[[30, 32]]
    torch.testing.assert_close(lp, expected)


def test_interval_cdf() -> None:
    d = make_sbp(k=YARD_BIN_COUNT, a=YARD_BINS[0], b=YARD_BINS[1], beta_l=4.0, beta_u=8.0)
    y = torch.arange(-40, 120, dtype=torch.float64)
    mid = d.interval_cdf(y)
    torch.testing.assert_close(mid, (d.cdf(y - 0.5) + d.cdf(y + 0.5)) / 2)
    assert bool(((mid > 0) & (mid < 1)).all())
    assert bool((mid.diff() > 0).all())
    # For integer outcomes drawn from the model the mid-point percentile has mean exactly 1/2.
    torch.manual_seed(9)
    outcomes = d.sample((20_000,)).round()
    assert float(d.interval_cdf(outcomes).mean()) == pytest.approx(0.5, abs=0.01)
