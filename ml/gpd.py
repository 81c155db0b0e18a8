"""Two-parameter generalized Pareto distribution GPD(xi, beta) for excesses y >= 0 (docs/sbp.md section 2.3).

No location parameter: in the spliced binned-Pareto the threshold plays that role. All functions are
elementwise over broadcastable tensors and written for stable values *and* gradients:

* log1p / expm1 instead of pow: in float32 with xi = 1e-7 the pow form is off by percents.
* A series branch when |xi * z| is small: log1p(w)/xi and expm1(w)/xi are exact there in value, but their
  derivative in xi suffers catastrophic cancellation, and xi = 0 would divide by zero. Switching on |xi*z|
  rather than on |xi| alone keeps the series accurate for large excesses too.
* Double-where: arguments are replaced by harmless values *before* log1p/expm1/log in the branch that is not
  selected, so that torch.where never multiplies a zero upstream gradient by an inf/NaN local one.

Support: y in [0, inf) for xi >= 0 and [0, -beta/xi] for xi < 0 (log density -inf and S = 0 beyond, S = 1 for
y < 0). For xi <= -1 the density does not vanish at the endpoint; the project uses xi >= 0 or xi >= -0.5.

Besides log density, log survival and quantiles: the log mass of an excess interval (``gpd_log_mass``, the
spliced tails' share of an integer outcome), the mean (``gpd_mean``) and the constrained (xi, beta) from raw
network outputs (``gpd_parameters``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ml.logmath import log1mexp

__all__ = [
    "expm1_div",
    "gpd_icdf",
    "gpd_inverse_log_sf",
    "gpd_log_mass",
    "gpd_log_prob",
    "gpd_log_sf",
    "gpd_mean",
    "gpd_parameters",
    "log1p_div",
    "series_cutoff",
]


def series_cutoff(dtype: torch.dtype) -> float:
    """Largest |w| = |xi * z| for which the 4-term series is used.

    The truncation error of the series is about w**4/5 (relative), i.e. 2e-9 at 1e-2 (below float32's
    6e-8 resolution) and 2e-17 at 1e-4 (below float64's 1.1e-16).
    """
    return 1e-2 if torch.finfo(dtype).eps > 1e-10 else 1e-4


def log1p_div(xi: Tensor, z: Tensor) -> Tensor:
    """log1p(xi * z) / xi, equal to z at xi = 0.

    Shapes: xi and z broadcastable; returns their broadcast shape. The caller guarantees z >= 0 finite and
    1 + xi * z > 0 (it substitutes safe values outside the support).
    """
    w = xi * z
    small = w.abs() < series_cutoff(w.dtype)
    xi_g = torch.where(small, torch.ones_like(xi), xi)
    w_g = torch.where(small, torch.zeros_like(w), w)
    general = torch.log1p(w_g) / xi_g
    w_s = torch.where(small, w, torch.zeros_like(w))
    # log1p(w)/w = 1 - w/2 + w^2/3 - w^3/4 + O(w^4)
    series = z * (1.0 + w_s * (-0.5 + w_s * (1.0 / 3.0 - 0.25 * w_s)))
    return torch.where(small, series, general)


def expm1_div(xi: Tensor, t: Tensor) -> Tensor:
    """expm1(xi * t) / xi, equal to t at xi = 0.

    Shapes: xi and t broadcastable; returns their broadcast shape. The caller guarantees t >= 0 finite.
    """
    w = xi * t
    small = w.abs() < series_cutoff(w.dtype)
    xi_g = torch.where(small, torch.ones_like(xi), xi)
    w_g = torch.where(small, torch.zeros_like(w), w)
    general = torch.expm1(w_g) / xi_g
    w_s = torch.where(small, w, torch.zeros_like(w))
    # expm1(w)/w = 1 + w/2 + w^2/6 + w^3/24 + O(w^4)
    series = t * (1.0 + w_s * (0.5 + w_s * (1.0 / 6.0 + w_s / 24.0)))
    return torch.where(small, series, general)


def _scaled_excess(y: Tensor, beta: Tensor) -> Tensor:
    """z = y / beta clamped to [0, finfo.max]: negative excesses have S = 1, and +inf must not reach xi*z."""
    z = y / beta
    return z.clamp(min=0.0, max=torch.finfo(z.dtype).max)


def gpd_log_sf(y: Tensor, xi: Tensor, beta: Tensor) -> Tensor:
    """log S(y) = -log1p(xi y / beta) / xi (= -y/beta at xi = 0).

    Shapes: y, xi, beta broadcastable; returns their broadcast shape. 0 for y <= 0; -inf beyond the finite
    endpoint -beta/xi when xi < 0; NaN propagates from y.
    """
    z = _scaled_excess(y, beta)
    in_support = xi * z > -1.0
    z_safe = torch.where(in_support, z, torch.zeros_like(z))
    out = -log1p_div(xi, z_safe)
    out = torch.where(in_support, out, torch.full_like(out, -torch.inf))
    return torch.where(torch.isnan(y), y, out)


def gpd_log_prob(y: Tensor, xi: Tensor, beta: Tensor) -> Tensor:
    """log g(y) = -log beta - (1 + 1/xi) log1p(xi y / beta) (= -log beta - y/beta at xi = 0).

    Shapes: y, xi, beta broadcastable; returns their broadcast shape. -inf for y < 0 and beyond the
    endpoint (xi < 0); NaN propagates from y.
    """
    z = _scaled_excess(y, beta)
    in_support = (y >= 0) & (xi * z > -1.0)
    z_safe = torch.where(in_support, z, torch.zeros_like(z))
    # (1 + 1/xi) log1p(w) split as log1p(w) + log1p(w)/xi so that xi = 0 needs no special case.
    out = -torch.log(beta) - torch.log1p(xi * z_safe) - log1p_div(xi, z_safe)
    out = torch.where(in_support, out, torch.full_like(out, -torch.inf))
    return torch.where(torch.isnan(y), y, out)


def gpd_inverse_log_sf(log_s: Tensor, xi: Tensor, beta: Tensor) -> Tensor:
    """The excess y with log S(y) = log_s, i.e. beta * expm1(-xi log_s) / xi (= -beta log_s at xi = 0).

    Working from log S keeps far-tail quantiles exact: callers pass e.g. log(u/p) computed as
    log(u) - log(p). Shapes: broadcastable; returns the broadcast shape. log_s = -inf maps to the upper end
    of the support (inf for xi >= 0, -beta/xi for xi < 0); log_s >= 0 maps to 0.
    """
    t = (-log_s).clamp(min=0.0)
    finite = torch.isfinite(t)
    t_safe = torch.where(finite, t, torch.zeros_like(t))
    y = beta * expm1_div(xi, t_safe)
    neg = xi < 0
    xi_neg = torch.where(neg, xi, -torch.ones_like(xi))
    endpoint = torch.where(neg, -beta / xi_neg, torch.full_like(beta, torch.inf))
    return torch.where(finite, y, endpoint)


def gpd_icdf(v: Tensor, xi: Tensor, beta: Tensor) -> Tensor:
    """Quantile G^{-1}(v) = beta * expm1(-xi log1p(-v)) / xi (= -beta log1p(-v) at xi = 0), v in [0, 1].

    Shapes: broadcastable; returns the broadcast shape.
    """
    return gpd_inverse_log_sf(torch.log1p(-v), xi, beta)


def gpd_log_mass(
    y1: Tensor, width: Tensor, xi: Tensor, beta: Tensor, valid: Tensor, *, log_weight: float = 0.0
) -> Tensor:
    """log(weight * (S(y1) - S(y1 + width))): the weighted mass of the excess interval [y1, y1 + width].

    Threshold stability: the excess over y1 is GPD(xi, beta + xi y1), so the difference is
    weight * S(y1) * (1 - S'(width)) and needs no subtraction of nearly equal numbers; ``log_weight`` (the
    spliced tail's log p) is added first. Shapes: y1, width (>= 0 where valid), xi, beta and the boolean
    ``valid`` broadcastable; returns their broadcast shape. -inf where ``valid`` is False (double-where:
    y1 = 0 and width = 1 are used there), where y1 lies beyond a finite endpoint (xi < 0) or where S(y1)
    is not finite.
    """
    y1 = torch.where(valid, y1, torch.zeros_like(y1))
    width = torch.where(valid, width, torch.ones_like(width))
    log_s1 = gpd_log_sf(y1, xi, beta)
    beta_c = beta + xi * y1
    ok = valid & (beta_c > 0) & torch.isfinite(log_s1)
    beta_c = torch.where(ok, beta_c, beta)
    log_mass = log_weight + log_s1 + log1mexp(-gpd_log_sf(width, xi, beta_c))
    return torch.where(ok, log_mass, torch.full_like(log_mass, -torch.inf))


def gpd_mean(xi: Tensor, beta: Tensor) -> Tensor:
    """Mean beta / (1 - xi) of GPD(xi, beta), i.e. the mean excess over the threshold; +inf when xi >= 1
    (the mean needs xi < 1). Shapes: xi and beta broadcastable; returns their broadcast shape.
    """
    finite = xi < 1
    return torch.where(
        finite, beta / (1 - torch.where(finite, xi, torch.zeros_like(xi))), xi.new_tensor(torch.inf)
    )


def gpd_parameters(
    xi_raw: Tensor, beta_raw: Tensor, beta_min: float, xi_max: float | None = None
) -> tuple[Tensor, Tensor]:
    """(xi, beta) from unconstrained reals, as docs/sbp.md section 1 recommends: beta = softplus(r) + beta_min
    (never 0 for beta_min > 0); xi = softplus(r) >= 0, or xi_max * sigmoid(r) in (0, xi_max) when
    ``xi_max`` is given. Shapes: elementwise, each output has its input's shape. Raises ValueError unless
    beta_min > 0 and xi_max (when given) > 0.
    """
    if not beta_min > 0:
        raise ValueError(f"beta_min must be > 0, got {beta_min}")
    if xi_max is not None and not xi_max > 0:
        raise ValueError(f"xi_max must be > 0, got {xi_max}")
    xi = F.softplus(xi_raw) if xi_max is None else xi_max * torch.sigmoid(xi_raw)
    return xi, F.softplus(beta_raw) + beta_min
