"""The spliced binned-Pareto distribution capped to the field, for integer yards (docs/sbp.md section 8).

A play cannot gain more than the distance to the goal line, nor lose more than the distance back to the
offense's own goal line. With per-play boundaries L < U (integer yards: U the touchdown yardage,
L = -(100 - U) the offense's own goal line), the capped outcome of a continuous SBP draw X is

    X_c = U if X >= U - 1/2,   L if X < L + 1/2,   X otherwise,

so on the integer grid pmf(y) = F(y + 1/2) - F(y - 1/2) for L < y < U, pmf(U) = 1 - F(U - 1/2) (the
touchdown), pmf(L) = F(L + 1/2), and 0 outside [L, U]. ``CappedYards`` is that view of a
``SplicedBinnedPareto``; the SBP itself is unchanged. Labels outside [L, U] are clipped to the boundary for
the likelihood, the percentile and the PIT.

Shapes (as torch.distributions): ``batch_shape`` is the SBP's; ``lower``/``upper`` broadcast to it; values
have shape ``(*sample, *batch)`` or anything that broadcasts against ``batch_shape``, and results have the
broadcast shape. A bound of None (or -inf / +inf) leaves that side uncapped.
"""

from __future__ import annotations

import math
from functools import cached_property

import torch
from torch import Tensor

from ml.sbp import SplicedBinnedPareto
from ml.tensors import as_values

__all__ = ["HALF_YARD", "CappedYards"]

HALF_YARD = 0.5  # an integer outcome y is the interval [y - 1/2, y + 1/2)


class CappedYards:
    """A ``SplicedBinnedPareto`` capped to per-play boundaries [lower, upper] for integer yards.

    Args:
        distribution: the SBP of the plays, batch_shape B.
        lower, upper: L < U, (*B,) or broadcastable to it, integer-valued yards; None / -inf / +inf for an
            uncapped side.

    Methods (docs/sbp.md section 8): ``cdf``, ``integer_log_prob`` (the log-pmf), ``interval_cdf`` (the
    mid-point percentile), ``cdf_bounds`` (the randomized PIT's bounds), ``icdf``, ``sample`` (integer
    draws), ``mean`` (expected integer yards), ``training_loss`` (the censored loss), ``clip``,
    ``expected_percentile``; ``lower_mass`` / ``upper_mass`` are P(Y = L) and P(Y = U).
    """

    def __init__(
        self, distribution: SplicedBinnedPareto, lower: Tensor | float | None, upper: Tensor | float | None
    ) -> None:
        self.distribution = distribution
        self.batch_shape = distribution.batch_shape
        self.lower = self._bound("lower", lower, -math.inf)
        self.upper = self._bound("upper", upper, math.inf)
        if not bool((self.lower < self.upper).all()):
            raise ValueError("capped yards need lower < upper for every play")

    @cached_property
    def log_lower_mass(self) -> Tensor:
        """log P(Y = L) = log F(L + 1/2), shape (*batch,); -inf where uncapped. Computed when first needed
        (the CDF, quantiles and percentiles never need it)."""
        has_lower = torch.isfinite(self.lower)
        zero = torch.zeros_like(self.lower)
        log_lower = self.distribution.log_cdf(torch.where(has_lower, self.lower, zero) + HALF_YARD)
        return torch.where(has_lower, log_lower, torch.full_like(zero, -math.inf))

    @cached_property
    def log_upper_mass(self) -> Tensor:
        """log P(Y = U) = log(1 - F(U - 1/2)), shape (*batch,); -inf where uncapped."""
        has_upper = torch.isfinite(self.upper)
        zero = torch.zeros_like(self.upper)
        log_upper = self.distribution.log_survival(torch.where(has_upper, self.upper, zero) - HALF_YARD)
        return torch.where(has_upper, log_upper, torch.full_like(zero, -math.inf))

    def _bound(self, name: str, value: Tensor | float | None, uncapped: float) -> Tensor:
        dtype, device = self.distribution.logits.dtype, self.distribution.logits.device
        bound = as_values(uncapped if value is None else value, dtype, device)
        try:
            bound = bound if bound.shape == self.batch_shape else torch.broadcast_to(bound, self.batch_shape)
        except RuntimeError as err:
            raise ValueError(
                f"{name} of shape {tuple(bound.shape)} does not broadcast to batch_shape"
                f" {tuple(self.batch_shape)}"
            ) from err
        finite = torch.isfinite(bound)
        if bool(torch.isnan(bound).any()) or not bool((bound[finite] == bound[finite].round()).all()):
            raise ValueError(f"{name} must hold integer yards (or an infinite bound), got {bound}")
        return bound

    def _as_value(self, value: Tensor | float) -> Tensor:
        return as_values(value, self.lower.dtype, self.lower.device)

    def select(self, rows: int | slice | Tensor) -> CappedYards:
        """The plays ``rows`` of a one-dimensional batch (an int keeps a batch of one): batch_shape (n,)."""
        if len(self.batch_shape) != 1:
            raise ValueError(
                f"select needs a one-dimensional batch, got batch_shape {tuple(self.batch_shape)}"
            )
        index = torch.as_tensor([rows]) if isinstance(rows, int) else rows
        sbp = self.distribution
        picked = SplicedBinnedPareto(
            sbp.logits[index],
            sbp.lower_xi[index],
            sbp.lower_beta[index],
            sbp.upper_xi[index],
            sbp.upper_beta[index],
            sbp.bins_lower_bound,
            sbp.bins_upper_bound,
            sbp.tail_percentile,
            validate_args=False,
        )
        return CappedYards(picked, self.lower[index], self.upper[index])

    @property
    def lower_mass(self) -> Tensor:
        """P(Y = L) = F(L + 1/2), shape (*batch,); 0 where uncapped."""
        return self.log_lower_mass.exp()

    @property
    def upper_mass(self) -> Tensor:
        """P(Y = U) = 1 - F(U - 1/2) (the touchdown probability), shape (*batch,); 0 where uncapped."""
        return self.log_upper_mass.exp()

    def clip(self, value: Tensor | float) -> Tensor:
        """value clipped to [L, U]; shapes as the module docstring."""
        return torch.minimum(torch.maximum(self._as_value(value), self.lower), self.upper)

    def cdf(self, value: Tensor | float) -> Tensor:
        """The capped CDF P(X_c <= x): 0 below L, 1 from U on, F(x) clamped to [L + 1/2, U - 1/2] between."""
        x = self._as_value(value)
        half = HALF_YARD
        inside = self.distribution.cdf(torch.minimum(torch.maximum(x, self.lower + half), self.upper - half))
        out = torch.where(x < self.lower, torch.zeros_like(inside), inside)
        return torch.where(x >= self.upper, torch.ones_like(out), out)

    def integer_log_prob(self, value: Tensor | float) -> Tensor:
        """log pmf(y) of integer yards y: the SBP's ``integer_log_prob`` for L < y < U, the boundary masses
        at L and U, -inf outside [L, U] (so the pmf sums to 1 over the integers of [L, U]). Not clipped: use
        ``integer_log_prob(clip(y))`` for a label's likelihood."""
        y = self._as_value(value)
        interior = (y > self.lower) & (y < self.upper)
        # The SBP sees a harmless value where the interior branch is not selected (finite gradients).
        body = self.distribution.integer_log_prob(torch.where(interior, y, torch.zeros_like(y)))
        out = torch.where(y == self.upper, self.log_upper_mass, torch.full_like(body, -math.inf))
        out = torch.where(y == self.lower, self.log_lower_mass, out)
        out = torch.where(interior, body, out)
        return torch.where(torch.isnan(y), y, out)

    def log_prob(self, value: Tensor | float) -> Tensor:
        """Alias of ``integer_log_prob`` (the capped distribution is discrete)."""
        return self.integer_log_prob(value)

    def cdf_bounds(self, value: Tensor | float) -> tuple[Tensor, Tensor]:
        """(F_c(y - 1/2), F_c(y + 1/2)) of the label y clipped to [L, U]: a uniform draw between them is the
        randomized PIT (exactly uniform for outcomes from this distribution). A touchdown gets
        (F(U - 1/2), 1), y = L gets (0, F(L + 1/2))."""
        y = self.clip(value)
        # One CDF evaluation of both points: half the operations of two (what a single play waits on).
        below, upto = self.cdf(torch.stack([y - HALF_YARD, y + HALF_YARD])).unbind(0)
        return below, upto

    def interval_cdf(self, value: Tensor | float) -> Tensor:
        """The mid-point percentile (F_c(y - 1/2) + F_c(y + 1/2)) / 2 of the label y clipped to [L, U]; a
        touchdown gets (F(U - 1/2) + 1) / 2, the top percentile of the play."""
        below, upto = self.cdf_bounds(value)
        return 0.5 * (below + upto)

    def icdf(self, value: Tensor | float) -> Tensor:
        """Quantile of X_c: the SBP's Q(u), moved to U when >= U - 1/2 and to L when < L + 1/2 (so clipped to
        [L, U] and consistent with ``cdf``: F_c(Q_c(u)) >= u). Shapes as ``cdf``."""
        q = self.distribution.icdf(self._as_value(value))
        out = torch.where(q >= self.upper - HALF_YARD, self.upper.expand_as(q), q)
        return torch.where(q < self.lower + HALF_YARD, self.lower.expand_as(q), out)

    def sample(self, sample_shape: torch.Size | tuple[int, ...] = ()) -> Tensor:
        """Integer draws of shape (*sample_shape, *batch): round(X) = floor(X + 1/2) clipped to [L, U]."""
        return self.clip(torch.floor(self.distribution.sample(sample_shape) + HALF_YARD))

    @property
    def mean(self) -> Tensor:
        """Expected integer yards sum_y y pmf(y), shape (*batch,), as L + sum_{k=L}^{U-1} (1 - F(k + 1/2))
        (O(U - L) CDF evaluations per play). Plays without both bounds get the uncapped SBP ``mean``
        (continuous; it equals the integer mean in the body of one-yard bins centred on the integers)."""
        finite = torch.isfinite(self.lower) & torch.isfinite(self.upper)
        if not bool(finite.any()):
            return self.distribution.mean
        lower = torch.where(finite, self.lower, torch.zeros_like(self.lower))
        span = torch.where(finite, self.upper - self.lower, torch.zeros_like(self.lower))
        steps = torch.arange(int(span.max()), dtype=lower.dtype, device=lower.device)
        steps = steps.reshape(-1, *[1] * lower.dim())  # (count, 1, ...) against (*batch,)
        survival = self.distribution.log_survival(lower + HALF_YARD + steps).exp()  # (count, *batch)
        capped = lower + torch.where(steps < span, survival, torch.zeros_like(survival)).sum(0)
        if bool(finite.all()):
            return capped
        return torch.where(finite, capped, self.distribution.mean)

    def training_loss(self, value: Tensor | float) -> Tensor:
        """The censored training loss of a dequantized label x (integer yards + U(-1/2, 1/2) jitter):
        -log(1 - F(U - 1/2)) for x >= U - 1/2 (a touchdown, or beyond), -log F(L + 1/2) for x < L + 1/2,
        and the SBP's ``training_loss(x)`` (the paper's loss, docs/sbp.md 3.1) otherwise. Labels beyond the
        bounds count as censored, i.e. clipped. Shapes as ``cdf``."""
        x = self._as_value(value)
        body = self.distribution.training_loss(x)
        out = torch.where(x < self.lower + HALF_YARD, -self.log_lower_mass, body)
        return torch.where(x >= self.upper - HALF_YARD, -self.log_upper_mass, out)

    def expected_percentile(self, reference: CappedYards) -> Tensor:
        """E_{Y ~ self}[P_ref(Y)], shape (*batch,): the mean over this distribution's integer outcomes of
        their mid-point percentile under ``reference`` (same bounds, both finite). 1/2 when reference is
        self."""
        if not bool((torch.isfinite(self.lower) & torch.isfinite(self.upper)).all()):
            raise ValueError("expected_percentile needs finite lower and upper bounds")
        if not (torch.equal(self.lower, reference.lower) and torch.equal(self.upper, reference.upper)):
            raise ValueError("expected_percentile needs the same bounds for both distributions")
        span = self.upper - self.lower
        steps = torch.arange(int(span.max()) + 1, dtype=span.dtype, device=span.device)
        yards = self.lower + steps.reshape(-1, *[1] * span.dim())  # (count, *batch)
        pmf = self.integer_log_prob(yards).exp()  # zero beyond U
        return (pmf * reference.interval_cdf(yards)).sum(0)
