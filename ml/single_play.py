"""One play through a model as exported inference graphs: live scoring, where the time is one play's,
not a batch's share.

``SinglePlayGraphs(model, config)`` exports two graphs from the same code the batched scoring runs
(``PassOutcomeNet.forward``, ``ml.inference.capped_distribution``, ``ml.capped.CappedYards``):

* ``percentile``: the forward pass and the capped percentile bounds F_c(y - 1/2), F_c(y + 1/2) and their
  mid-point, returning the raw head output too;
* ``expected_yards``: the capped mean from that raw output.

Each is traced, exported to ONNX (the weights become constants, no autograd) and run by ONNX Runtime on
one thread: its kernels cost about half of TorchScript's static runtime per operation on graphs of
small tensors, and its convolution serves a batch of one (README, "Live scoring of one play"). Inputs
(NumPy arrays or CPU tensors): one play's frames (1, n, S * C) float32, only its n valid frames (the
causal network reads nothing after the last one), n_frames (1,) int64 = n, tabular (1, F), yards (1,)
and the field boundaries lower (1,), upper (1,), float32 (finite integer yards, U - L = 100, as the
feature store builds them). Traced on a full-length example, the graphs serve plays of any length up to
it: the frame axis is dynamic and the last frame is gathered by n_frames. The distribution code's
argument checks (lower < upper, integer bounds, the mean's 100-yard span) are decided at trace time, so
callers pass boundaries built the feature store's way.
"""

from __future__ import annotations

import functools
import io
import warnings

import numpy as np
import torch
from torch import Tensor, nn

from ml.config import TrainConfig
from ml.inference import capped_distribution
from ml.tcn import PassOutcomeNet

__all__ = ["PERCENTILE_INPUTS", "PERCENTILE_OUTPUTS", "SinglePlayGraphs", "full_length_example"]

PERCENTILE_OUTPUTS = ("cdf_lower", "cdf_upper", "percentile")
PERCENTILE_INPUTS = ("frames", "n_frames", "tabular", "yards", "lower", "upper")
EXPECTED_YARDS_INPUTS = ("raw", "lower", "upper")
_INPUT_DTYPES = {"n_frames": np.int64}  # every other input is float32
# U - L: the offense's own goal line is 100 yards behind the touchdown line (the traced mean's span).
FIELD_LENGTH_YD = 100.0
ONNX_OPSET = 17


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
        example = full_length_example(model)
        lower, upper = example[4:6]
        self.percentile_graph = _session(
            _Percentile(model, config), example, PERCENTILE_INPUTS, frames_axis=True
        )
        raw = torch.zeros(1, model.head[-1].out_features)
        self.expected_yards_graph = _session(
            _ExpectedYards(config), (raw, lower, upper), EXPECTED_YARDS_INPUTS
        )
        self(*example)  # the first run allocates the runtime's buffers: not the first play's wait

    def percentile(self, *inputs) -> np.ndarray:
        """(3 + K + 4,): cdf_lower, cdf_upper, percentile, then the raw head output."""
        return self.percentile_graph.run(None, _feeds(PERCENTILE_INPUTS, inputs))[0]

    def __call__(self, *inputs) -> dict[str, float]:
        """The play's ``PERCENTILE_OUTPUTS`` and ``expected_yards``, from the graphs' inputs."""
        feeds = _feeds(PERCENTILE_INPUTS, inputs)
        out = self.percentile_graph.run(None, feeds)[0]
        width = len(PERCENTILE_OUTPUTS)
        numbers = dict(zip(PERCENTILE_OUTPUTS, out[:width].tolist(), strict=True))
        bounds = {"raw": out[None, width:], "lower": feeds["lower"], "upper": feeds["upper"]}
        numbers["expected_yards"] = float(self.expected_yards_graph.run(None, bounds)[0][0])
        return numbers


def full_length_example(model: PassOutcomeNet) -> tuple[Tensor, ...]:
    """The percentile graph's inputs for a play of the model's full length (zeros, boundaries -50 and
    50): what a graph of it is traced on."""
    frames_max, slots, channels = model.frame_shape
    return (
        torch.zeros(1, frames_max, slots * channels),
        torch.tensor([frames_max]),
        torch.zeros(1, model.tabular_mean.numel()),
        torch.zeros(1),
        torch.tensor([-FIELD_LENGTH_YD / 2]),
        torch.tensor([FIELD_LENGTH_YD / 2]),
    )


def _feeds(names: tuple[str, ...], inputs: tuple) -> dict[str, np.ndarray]:
    """The runtime's inputs by name, in the graph's dtypes (no copy where they already are)."""
    if len(inputs) != len(names):
        raise ValueError(
            f"a single-play graph takes {len(names)} inputs ({', '.join(names)}), got {len(inputs)}"
        )
    return {
        name: np.ascontiguousarray(value, dtype=_INPUT_DTYPES.get(name, np.float32))
        for name, value in zip(names, inputs, strict=True)
    }


@torch.inference_mode(False)
def _session(
    module: nn.Module, example: tuple[Tensor, ...], names: tuple[str, ...], frames_axis: bool = False
):
    """``module`` traced on ``example``, exported to ONNX and loaded by ONNX Runtime on one thread; with
    ``frames_axis``, its first input's second axis (the frames) is dynamic."""
    import onnxruntime  # noqa: PLC0415 - the runtime only where a play is scored alone

    _register_export_functions()
    with torch.no_grad():
        module.eval()(*example)  # fills the caches (the bin edges), which the trace then reads as constants
    graph = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        # The tracer warns about every Python bool taken from a tensor: the argument checks of the
        # distribution code, decided once here (see the module docstring). The TorchScript-based
        # exporter is deprecated in favour of torch.export, which cannot trace the data-dependent frame
        # horizon and argument checks of the batched code.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            example,
            graph,
            dynamo=False,
            input_names=list(names),
            output_names=["out"],
            dynamic_axes={names[0]: {1: "frames"}} if frames_axis else None,
            opset_version=ONNX_OPSET,
        )
    options = onnxruntime.SessionOptions()
    # One play is too small to split: one thread, no inter-operator pool.
    options.intra_op_num_threads, options.inter_op_num_threads = 1, 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only
    return onnxruntime.InferenceSession(graph.getvalue(), options, providers=["CPUExecutionProvider"])


@functools.cache
def _register_export_functions() -> None:
    """ONNX forms of two operations the exporter lacks (``torch.searchsorted``) or writes with negative
    axes ONNX Runtime refuses (``torch.movedim``)."""
    torch.onnx.register_custom_op_symbolic("aten::searchsorted", _searchsorted, ONNX_OPSET)
    torch.onnx.register_custom_op_symbolic("aten::movedim", _movedim, ONNX_OPSET)


def _searchsorted(g, sorted_sequence, values, out_int32, right, side, sorter):  # noqa: PLR0917
    """searchsorted(sorted (M,) or (*batch, M), values (*batch, n)) as a count: the sorted entries below
    each value (at or below with ``right``), (*batch, n) int64."""
    from torch.onnx import symbolic_helper  # noqa: PLC0415

    right = symbolic_helper._parse_arg(right, "b") or symbolic_helper._parse_arg(side, "s") == "right"
    if symbolic_helper._parse_arg(out_int32, "b") or not symbolic_helper._is_none(sorter):
        raise NotImplementedError("searchsorted exports without out_int32 or a sorter only")

    def axis(value: int):
        return g.op("Constant", value_t=torch.tensor([value]))

    rank = symbolic_helper._get_tensor_rank(sorted_sequence)
    sequence = (
        sorted_sequence if rank == 1 else g.op("Unsqueeze", sorted_sequence, axis(-2))
    )  # (*batch, 1, M)
    below = g.op("LessOrEqual" if right else "Less", sequence, g.op("Unsqueeze", values, axis(-1)))
    return g.op("ReduceSum", g.op("Cast", below, to_i=7), axis(-1), keepdims_i=0)  # 7: int64


def _movedim(g, value, source, destination):
    """movedim(x, source, destination), axes as ints or lists, as the Transpose of its permutation with
    the axes taken modulo the rank."""
    from torch.onnx import symbolic_helper  # noqa: PLC0415

    def axes(arg) -> list[int]:
        try:
            return [symbolic_helper._parse_arg(arg, "i")]
        except (RuntimeError, TypeError, ValueError):
            return list(symbolic_helper._parse_arg(arg, "is"))

    rank = symbolic_helper._get_tensor_rank(value)
    sources = [axis % rank for axis in axes(source)]
    permutation: list[int | None] = [None] * rank
    for axis, target in zip(sources, axes(destination), strict=True):
        permutation[target % rank] = axis
    rest = iter(axis for axis in range(rank) if axis not in sources)
    return g.op("Transpose", value, perm_i=[next(rest) if axis is None else axis for axis in permutation])
