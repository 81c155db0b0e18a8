"""One play through a model as traced, frozen inference graphs: live scoring, where the time is one
play's, not a batch's share.

``SinglePlayGraphs(model, config)`` traces two graphs from the same code the batched scoring runs
(``PassOutcomeNet.forward``, ``ml.inference.capped_distribution``, ``ml.capped.CappedYards``):

* ``percentile``: the forward pass and the capped percentile bounds F_c(y - 1/2), F_c(y + 1/2) and their
  mid-point, returning the raw head output too;
* ``expected_yards``: the capped mean from that raw output.

Each is frozen (the weights become constants, no autograd) and run by TorchScript's static runtime (out
variants and planned memory: a third less time per operation than the graph interpreter for graphs of
small tensors; the interpreter runs it where a torch build lacks the runtime). Inputs: one play's frames
(1, n, S * C), only its n valid frames (the causal network reads nothing after the last one), n_frames
(1,) = n, tabular (1, F), yards (1,) and the field boundaries lower (1,), upper (1,) (finite integer
yards, U - L = 100, as the feature store builds them). Traced on a full-length example, the graphs serve
plays of any length up to it: the convolutions' slices end at constant offsets and the last frame is
gathered by n_frames. The distribution code's argument checks (lower < upper, integer bounds, the mean's
100-yard span) are decided at trace time, so callers pass boundaries built the feature store's way.

One play is too small to split: run it with ``torch.set_num_threads(1)``.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor, nn

from ml.config import TrainConfig
from ml.inference import capped_distribution
from ml.tcn import PassOutcomeNet

__all__ = ["PERCENTILE_OUTPUTS", "SinglePlayGraphs"]

PERCENTILE_OUTPUTS = ("cdf_lower", "cdf_upper", "percentile")
# U - L: the offense's own goal line is 100 yards behind the touchdown line (the traced mean's span).
FIELD_LENGTH_YD = 100.0


class _Percentile(nn.Module):
    """(frames, n_frames, tabular, yards, lower, upper) -> (3 + K + 4,): the percentile bounds, their
    mid-point, then the raw head output."""

    def __init__(self, model: PassOutcomeNet, config: TrainConfig):
        super().__init__()
        self.model, self.config = model.eval(), config

    def forward(  # noqa: PLR0917 (the model's inputs, then the outcome and the boundaries)
        self, frames: Tensor, n_frames: Tensor, tabular: Tensor, yards: Tensor, lower: Tensor, upper: Tensor
    ) -> Tensor:
        raw = self.model(frames, n_frames, tabular)
        below, upto = capped_distribution(raw, self.config, lower, upper).cdf_bounds(yards)
        return torch.cat([below, upto, 0.5 * (below + upto), raw[0]])


class _ExpectedYards(nn.Module):
    """(raw (1, K + 4), lower, upper) -> (1,): the capped mean."""

    def __init__(self, config: TrainConfig):
        super().__init__()
        self.config = config

    def forward(self, raw: Tensor, lower: Tensor, upper: Tensor) -> Tensor:
        return capped_distribution(raw, self.config, lower, upper).mean


class SinglePlayGraphs:
    """A tensor model's single-play graphs (see the module docstring)."""

    def __init__(self, model: PassOutcomeNet, config: TrainConfig):
        if model.frame_shape is None:
            raise ValueError("single-play graphs need a model of play tensors (the situation model has none)")
        frames_max, slots, channels = model.frame_shape
        lower, upper = torch.tensor([-FIELD_LENGTH_YD / 2]), torch.tensor([FIELD_LENGTH_YD / 2])
        example = (
            torch.zeros(1, frames_max, slots * channels),
            torch.tensor([frames_max]),
            torch.zeros(1, model.tabular_mean.numel()),
            torch.zeros(1),
            lower,
            upper,
        )
        self.percentile_graph = _compile(_Percentile(model, config), example)
        raw = torch.zeros(1, model.head[-1].out_features)
        self.expected_yards_graph = _compile(_ExpectedYards(config), (raw, lower, upper))
        self(*example)  # the first run plans the runtime's memory: not the first play's wait

    def percentile(self, *inputs: Tensor) -> Tensor:
        """(3 + K + 4,): cdf_lower, cdf_upper, percentile, then the raw head output."""
        return self.percentile_graph(*inputs)

    def __call__(self, *inputs: Tensor) -> dict[str, float]:
        """The play's ``PERCENTILE_OUTPUTS`` and ``expected_yards``, from the graphs' inputs."""
        out = self.percentile_graph(*inputs)
        width = len(PERCENTILE_OUTPUTS)
        numbers = dict(zip(PERCENTILE_OUTPUTS, out[:width].tolist(), strict=True))
        numbers["expected_yards"] = float(self.expected_yards_graph(out[None, width:], *inputs[4:6])[0])
        return numbers


@torch.inference_mode(False)
def _compile(module: nn.Module, example: tuple[Tensor, ...]):
    """``module`` traced on ``example``, frozen, and handed to the static runtime where torch has it."""
    with torch.no_grad():
        module.eval()(*example)  # fills the caches (the bin edges), which the trace then reads as constants
    with warnings.catch_warnings(), torch.no_grad():
        # The tracer warns about every Python bool taken from a tensor: the argument checks of the
        # distribution code, decided once here (see the module docstring).
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        # TorchScript is deprecated in favour of torch.compile, whose CPU warm-up takes about a minute
        # here and whose calls were slower for this graph (README, "Live scoring of one play").
        warnings.simplefilter("ignore", DeprecationWarning)
        frozen = torch.jit.freeze(torch.jit.trace(module.eval(), example, check_trace=False))
    to_static = getattr(torch._C, "_jit_to_static_module", None)
    return frozen if to_static is None else to_static(frozen._c)
