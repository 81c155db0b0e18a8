"""Tests of ml.sbp / ml.gpd, gradients and fitting: docs/sbp.md section 5 items 9 (finite
gradients everywhere, gradcheck of the GPD terms) and 11 (maximum likelihood recovers the parameters;
the training loss passes gradients). Same references and tolerance rules as test_sbp.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch.nn import functional as F

from ml.gpd import gpd_icdf, gpd_log_prob, gpd_log_sf
from ml.sbp import SplicedBinnedPareto, sbp_from_raw
from tests.ml.sbp_cases import DTYPES, P, make_sbp, support_ends

# ----- docs/sbp.md 5.9: finite gradients everywhere; gradcheck of the GPD terms -----------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("xi", [0.0, 1e-8, 0.3])
def test_gradients_finite(dtype: torch.dtype, xi: float) -> None:
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(20, generator=g, dtype=torch.float64).to(dtype).requires_grad_()
    params = [torch.tensor(v, dtype=dtype, requires_grad=True) for v in (xi, 0.7, xi, 1.8)]
    d = SplicedBinnedPareto(logits, *params, -2.0, 3.0)
    t_l, t_u = d.lower_threshold.item(), d.upper_threshold.item()
    x_values = [t_l - 3, (t_l + t_u) / 2, t_u + 3, -1e6, 1e6, -2.0, 3.0, float(d._edges[7]), t_l, t_u]
    x = torch.tensor(x_values, dtype=dtype, requires_grad=True)
    u = torch.tensor([1e-4, P, 0.3, 0.5, 1 - P, 1 - 1e-4], dtype=dtype)
    outputs = {
        "log_prob": d.log_prob(x),
        "cdf": d.cdf(x),
        "log_cdf": d.log_cdf(x),
        "log_survival": d.log_survival(x),
        "training_loss": d.training_loss(x),
        "exact_nll": d.training_loss(x, exact=True),
        "integer_log_prob": d.integer_log_prob(x),
        "icdf": d.icdf(u),
        "mean": d.mean,
        "median": d.median,
    }
    for name, out in outputs.items():
        assert bool(torch.isfinite(out).all()), name
        grads = torch.autograd.grad(out.sum(), [logits, *params, x], allow_unused=True, retain_graph=True)
        for grad in grads:
            assert grad is None or bool(torch.isfinite(grad).all()), name


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradients_finite_beyond_finite_endpoints(dtype: torch.dtype) -> None:
    # xi < 0: beyond t -+ beta/|xi| the log-density is -inf and F is 0 or 1; the gradients must still be
    # finite (zero from the masked branches), which is what the double-where guarantees.
    g = torch.Generator().manual_seed(6)
    logits = torch.randn(20, generator=g, dtype=torch.float64).to(dtype).requires_grad_()
    params = [torch.tensor(v, dtype=dtype, requires_grad=True) for v in (-0.3, 0.6, -0.4, 0.8)]
    d = SplicedBinnedPareto(logits, *params, -2.0, 3.0)
    lo, hi = support_ends(d)
    x = torch.tensor([lo - 1.0, lo - 1e3, hi + 1.0, hi + 1e3, lo + 0.1, hi - 0.1, 0.5], dtype=dtype)
    x.requires_grad_()
    for name in ("log_prob", "cdf", "log_cdf", "log_survival", "training_loss", "integer_log_prob"):
        out = getattr(d, name)(x)
        assert not bool(torch.isnan(out).any()), name
        grads = torch.autograd.grad(out.sum(), [logits, *params, x], retain_graph=True)
        assert all(bool(torch.isfinite(grad).all()) for grad in grads), name
    with torch.no_grad():
        assert float(d.cdf(torch.tensor(lo - 1.0, dtype=dtype))) == 0.0
        assert float(d.cdf(torch.tensor(hi + 1.0, dtype=dtype))) == 1.0
        assert float(d.icdf(torch.tensor(0.0, dtype=dtype))) == pytest.approx(lo, rel=1e-5)
        assert float(d.icdf(torch.tensor(1.0, dtype=dtype))) == pytest.approx(hi, rel=1e-5)


def test_zero_mass_bins() -> None:
    # Bins with logit -inf have no mass: quantiles skip them, their density is 0, nothing is NaN.
    logits = torch.randn(12, generator=torch.Generator().manual_seed(12), dtype=torch.float64)
    empty = [0, 4, 5, 11]
    logits[empty] = -math.inf
    d = make_sbp(k=12, a=0.0, b=12.0, logits=logits)
    u = torch.linspace(0.0, 1.0, 10_001, dtype=torch.float64)
    q = d.icdf(u)
    assert not bool(torch.isnan(q).any())
    inner = (u > 0) & (u < 1)
    torch.testing.assert_close(d.cdf(q[inner]), u[inner], rtol=0, atol=1e-12)
    in_body = (q > d.lower_threshold) & (q < d.upper_threshold)
    bins = q[in_body].floor().long()
    assert not any(int(k) in empty for k in bins[q[in_body] != bins.double()])  # never strictly inside
    assert float(d.log_prob(torch.tensor(4.5, dtype=torch.float64))) == -math.inf
    assert float(d.integer_log_prob(torch.tensor(4.5, dtype=torch.float64))) == -math.inf
    assert float(d.cdf(torch.tensor(5.0, dtype=torch.float64))) == float(
        d.cdf(torch.tensor(4.0, dtype=torch.float64))
    )


def test_gpd_small_xi_gradients_float32() -> None:
    # log1p(w)/xi and expm1(w)/xi lose their xi-derivative to cancellation when w = xi*z is small; the
    # series branch keeps float32 gradients close to the float64 ones.
    ys = [0.05, 0.5, 2.0, 10.0]
    for xi in (1e-7, 2e-5, 1e-3, 0.02):
        grads = {}
        for dtype in DTYPES:
            xi_t = torch.tensor(xi, dtype=dtype, requires_grad=True)
            beta = torch.tensor(1.7, dtype=dtype)
            y = torch.tensor(ys, dtype=dtype)
            v = torch.tensor([0.1, 0.5, 0.9, 0.999], dtype=dtype)
            total = (
                gpd_log_sf(y, xi_t, beta).sum()
                + gpd_log_prob(y, xi_t, beta).sum()
                + gpd_icdf(v, xi_t, beta).sum()
            )
            (grads[dtype],) = torch.autograd.grad(total, xi_t)
        assert float(grads[torch.float32]) == pytest.approx(float(grads[torch.float64]), rel=1e-4), xi


def test_bin_edges_and_sampling_edge_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    d = make_sbp(k=20, a=-2.0, b=3.0)
    log_w = math.log(0.25)
    # Bin k is [e_{k-1}, e_k): an interior edge inside the body takes the density of the bin on its right.
    log_pi = F.log_softmax(d.logits, -1)
    for j in (8, 9, 10):
        assert float(d.log_prob(d._edges[j])) == pytest.approx(float(log_pi[j]) - log_w, rel=1e-12)
    # a and b count in the first and last bins for the histogram part of the training loss.
    loss = d.training_loss(torch.tensor([-2.0, 3.0], dtype=torch.float64))
    assert float(loss[0]) >= -float(log_pi[0])
    assert float(loss[1]) >= -float(log_pi[-1])
    # torch.rand may return exactly 0, which must not become -inf.
    monkeypatch.setattr(torch, "rand", torch.zeros)
    assert bool(torch.isfinite(d.sample((3,))).all())


@pytest.mark.parametrize("xi", [0.0, 1e-6, -0.2, 0.3, 1.5])
def test_gpd_gradcheck(xi: float) -> None:
    # Excesses stay inside the support for xi = -0.2 (endpoint 7.5 for beta = 1.5).
    y = torch.tensor([0.0, 0.3, 1.0, 4.0], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([0.01, 0.5, 0.9, 0.999], dtype=torch.float64, requires_grad=True)
    xi_t = torch.tensor(xi, dtype=torch.float64, requires_grad=True)
    beta = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    y_inner = (
        y[1:].detach().requires_grad_()
    )  # y = 0 is a kink in y (one-sided), check it through xi/beta only
    assert torch.autograd.gradcheck(lambda a, b: gpd_log_prob(y, a, b), (xi_t, beta))
    assert torch.autograd.gradcheck(gpd_log_prob, (y_inner, xi_t, beta))
    assert torch.autograd.gradcheck(gpd_log_sf, (y_inner, xi_t, beta))
    assert torch.autograd.gradcheck(gpd_icdf, (v, xi_t, beta))


def test_spliced_gradcheck() -> None:
    g = torch.Generator().manual_seed(11)
    logits = torch.randn(12, generator=g, dtype=torch.float64, requires_grad=True)
    params = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.2, 0.8, 0.35, 1.4))
    x = torch.tensor([-4.0, -0.55, 0.7, 1.9, 6.0], dtype=torch.float64)

    def run(method: str):
        return lambda lg, *gp: getattr(SplicedBinnedPareto(lg, *gp, -2.0, 3.0), method)(x)

    for method in ("log_prob", "cdf", "integer_log_prob"):
        assert torch.autograd.gradcheck(run(method), (logits, *params)), method


# ----- docs/sbp.md 5.11: recovering the parameters by maximum likelihood ------------------------------------


def test_maximum_likelihood_recovers_student_t_tails() -> None:
    torch.manual_seed(0)
    x = torch.as_tensor(stats.t(3).rvs(20_000, random_state=np.random.default_rng(0)), dtype=torch.float32)
    raw = torch.zeros(60 + 4, requires_grad=True)
    opt = torch.optim.Adam([raw], lr=0.1)
    for _ in range(200):  # full batch; converged (the same to 3 digits at 500 steps)
        opt.zero_grad()
        loss = sbp_from_raw(raw, -6.0, 6.0, validate_args=False).training_loss(x).mean()
        loss.backward()
        opt.step()
    d = sbp_from_raw(raw.detach(), -6.0, 6.0)
    assert float((x < d.lower_threshold).float().mean()) == pytest.approx(P, abs=0.005)
    assert float((x > d.upper_threshold).float().mean()) == pytest.approx(P, abs=0.005)
    assert float(d.upper_xi) == pytest.approx(1 / 3, abs=0.1)
    assert float(d.lower_xi) == pytest.approx(1 / 3, abs=0.1)


def test_training_loss_gradient_flow() -> None:
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(20, generator=g, dtype=torch.float64, requires_grad=True)
    d = SplicedBinnedPareto(logits, 0.3, 0.7, 0.4, 1.8, -2.0, 3.0)
    x = (d.upper_threshold.detach() + 3.0) / 2  # an upper-tail point inside [a, b] = [-2, 3]
    assert d.upper_threshold.item() < x.item() < 3.0
    k = int(torch.searchsorted(d._edges, x, right=True)) - 1
    # 3.1: thresholds detached, so the logits see only the cross-entropy of the point's bin.
    (grad,) = torch.autograd.grad(
        d.training_loss(x) + F.log_softmax(logits, -1)[k], logits, retain_graph=True
    )
    assert float(grad.abs().max()) == 0.0
    # 3.4: the exact NLL option reaches the logits through t_U (GluonTS' evaluation log_prob gave 0).
    (grad,) = torch.autograd.grad(d.training_loss(x, exact=True), logits)
    assert float(grad.abs().max()) > 1e-3
    # In the body the loss is the exact NLL minus the constant log w.
    mid = (d.lower_threshold + d.upper_threshold).detach() / 2
    assert d.training_loss(mid).item() == pytest.approx(-d.log_prob(mid).item() - math.log(0.25), rel=1e-12)
