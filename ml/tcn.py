"""The pass-outcome network: a causal dilated TCN over the snap-to-release frames, read at each play's
last valid frame, concatenated with the tabular (static + derived) inputs, then an MLP head.

Shapes: tensor (N, T, S, C) = plays x frames x player slots x channels, flattened per frame to
(N, T, S*C); n_frames (N,) int64 in [1, T]; tabular (N, F). The head emits ``out_features`` reals per
play: K + 4 for the spliced binned-Pareto (bin logits, then xi_L, beta_L, xi_U, beta_U raw), 2 for
the Gaussian baseline (mean, log standard deviation).

Frames are left-aligned and zero-padded after ``n_frames``; every convolution is causal (left padding
only), so the output at frame n_frames - 1 never sees padding. Inputs are standardized inside the
model with statistics fitted on the training split (buffers, saved with the weights).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ml.config import TrainConfig
from ml.options import OptionMixtureHead


def causal_conv(x: Tensor, conv: nn.Conv1d) -> Tensor:
    """``conv`` as a dilated causal convolution (left zero padding only): (N, C_in, T) -> (N, C_out, T).

    A batch runs the convolution kernel (oneDNN on the CPU), and so does an ONNX export (the single-play
    graphs: ONNX Runtime's convolution serves a batch of one). A single play (N = 1) in torch runs it as
    one matrix multiply of the kernel's taps (frames t - (k - 1) d, ..., t stacked along the channels):
    torch's CPU kernel for batch 1 is a slow per-element loop, 10x slower than this. Same weights, same
    sums."""
    k, d = conv.kernel_size[0], conv.dilation[0]
    padded = nn.functional.pad(x, ((k - 1) * d, 0))
    if x.shape[0] != 1 or torch.onnx.is_in_onnx_export():
        return conv(padded)
    taps = torch.cat([padded[..., j * d : (j - k + 1) * d or None] for j in range(k)], dim=1)  # (1, k C, T)
    weight = conv.weight.permute(0, 2, 1).reshape(1, conv.out_channels, -1)  # [0, o, j C_in + c]
    return torch.baddbmm(conv.bias.view(1, -1, 1), weight, taps)


class Dropout(nn.Module):
    """Inverted dropout, as ``nn.Dropout``: in training, each element is zeroed with probability ``p`` and
    the rest scaled by 1 / (1 - p); in eval mode the identity. Same shapes in and out.

    The mask comes from random bits, 15 per element, compared with p 2^15: on the CPU, ``nn.Dropout``'s
    Bernoulli sampler draws element by element and took a quarter of a training epoch, and one uniform
    float per element still a seventh. Each 64-bit draw serves four elements (its four 16-bit pieces;
    an int64 draw is never negative, so the top bit of one piece in four is always 0 and is masked off
    in all of them). So the share zeroed is p rounded to a multiple of 2^-15 (within 1.6e-5 of p)."""

    BITS = 15

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self.threshold = min(round(p * 2**self.BITS), 2**self.BITS - 1)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        n = x.numel()
        words = torch.empty((n + 3) // 4, dtype=torch.int64, device=x.device).random_()
        draws = words.view(torch.int16)[:n].view(x.shape).bitwise_and_(2**self.BITS - 1)
        keep = draws.ge(self.threshold).to(x.dtype).mul_(1.0 / (1.0 - self.p))
        return x * keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


class CausalResidualBlock(nn.Module):
    """Two dilated causal convolutions with a residual connection. (N, C_in, T) -> (N, C_out, T)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int, dropout: float):
        super().__init__()
        self.left_pad = (kernel_size - 1) * dilation
        self.conv1 = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation)
        self.conv2 = nn.Conv1d(out_channels, out_channels, kernel_size, dilation=dilation)
        self.dropout = Dropout(dropout)
        self.skip = nn.Conv1d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = self.dropout(torch.relu(causal_conv(x, self.conv1)))
        h = self.dropout(torch.relu(causal_conv(h, self.conv2)))
        return torch.relu(h + self.skip(x))


def receptive_field(kernel_size: int, dilations: tuple[int, ...]) -> int:
    """Frames the last output sees: 1 + 2 (k - 1) sum(d) for two convolutions per block."""
    return 1 + 2 * (kernel_size - 1) * sum(dilations)


class TCNEncoder(nn.Module):
    """(N, T, F) frames -> (N, channels) state at each play's last valid frame.

    A per-frame linear projection F -> channels comes first (a 1x1 convolution applied as a matrix
    multiply on the frames' natural layout), so the dilated blocks run at ``channels`` width: most of
    the inference cost is this one projection of the 220 slot features.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int = 32,
        kernel_size: int = 3,
        dilations: tuple[int, ...] = (1, 2, 4, 8),
        dropout: float = 0.1,
    ):
        super().__init__()
        self.project = nn.Linear(in_channels, channels)
        # Per-feature scale of the inputs, fitted on training data and folded into the projection
        # weights at run time (W x / s = (W / s) x): no scaled copy of the input is ever made.
        self.register_buffer("input_scale", torch.ones(in_channels))
        self.blocks = nn.Sequential(
            *(
                CausalResidualBlock(channels, channels, kernel_size, dilation, dropout)
                for dilation in dilations
            )
        )
        self.receptive_field = receptive_field(kernel_size, dilations)

    def forward(self, frames: Tensor, n_frames: Tensor) -> Tensor:
        # Plays are left-aligned, so every play's last frame lies in the first max(n_frames) frames.
        horizon = int(n_frames.max())
        weight = self.project.weight / self.input_scale
        h = torch.relu(
            nn.functional.linear(frames[:, :horizon], weight, self.project.bias)
        )  # (N, horizon, ch)
        h = self.blocks(h.transpose(1, 2).contiguous())  # (N, channels, horizon)
        last = (n_frames - 1).clamp(min=0).view(-1, 1, 1).expand(-1, h.shape[1], 1)
        return h.gather(2, last).squeeze(2)


class PassOutcomeNet(nn.Module):
    """TCN encoder + tabular MLP head -> raw distribution parameters (N, out_features).

    ``frame_shape`` (T, S, C) of the play tensors, or None for the situation-only model (tabular inputs
    alone, e.g. real play-by-play without tracking); then the tensor argument of ``forward`` is ignored.
    ``option_columns`` / ``option_count``: the receiving options' tabular columns (``ml.options``); with
    them the head's bins are the mixture over the options (a distribution head only: K + 4 outputs).
    """

    def __init__(
        self,
        frame_shape: tuple[int, int, int] | None,
        tabular_features: int,
        out_features: int,
        *,
        channels: int = 32,
        kernel_size: int = 3,
        dilations: tuple[int, ...] = (1, 2, 4, 8),
        hidden: int = 64,
        dropout: float = 0.1,
        option_columns: tuple[int, ...] = (),
        option_count: int = 0,
    ):
        super().__init__()
        self.frame_shape = tuple(frame_shape) if frame_shape is not None else None
        in_channels = frame_shape[1] * frame_shape[2] if frame_shape is not None else 0
        self.encoder = (
            TCNEncoder(in_channels, channels, kernel_size=kernel_size, dilations=dilations, dropout=dropout)
            if frame_shape is not None
            else None
        )
        state_width = channels if self.encoder is not None else 0
        self.head = nn.Sequential(
            nn.Linear(state_width + tabular_features, hidden),
            nn.ReLU(),
            Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, out_features),
        )
        self.options = None
        if option_columns:  # a distribution head: K bin logits, then the four tail parameters
            self.options = OptionMixtureHead(hidden, out_features - 4, option_columns, option_count)
        self.register_buffer("tabular_mean", torch.zeros(tabular_features))
        self.register_buffer("tabular_std", torch.ones(tabular_features))

    @torch.no_grad()
    def fit_standardization(self, tensor: Tensor, n_frames: Tensor, tabular: Tensor) -> None:
        """Per-channel scale of the frames (valid frames only) and tabular mean/std, from training data.

        Frames are scaled but not centred, so the zero padding and absent slots stay exactly zero."""
        if self.encoder is not None:
            n, t = tensor.shape[:2]
            valid = torch.arange(t, device=tensor.device)[None, :] < n_frames[:, None]
            values = tensor.reshape(n, t, -1)[valid]
            self.encoder.input_scale.copy_(values.pow(2).mean(0).sqrt().clamp(min=1e-3))
        self.tabular_mean.copy_(tabular.mean(0))
        self.tabular_std.copy_(tabular.std(0).clamp(min=1e-3))

    def forward(self, tensor: Tensor, n_frames: Tensor, tabular: Tensor) -> Tensor:
        tab = (tabular - self.tabular_mean) / self.tabular_std
        if self.encoder is None:
            inputs = tab
        else:
            frames = tensor.reshape(tensor.shape[0], tensor.shape[1], -1)
            inputs = torch.cat([self.encoder(frames, n_frames), tab], dim=1)
        if self.options is None:
            return self.head(inputs)
        state = self.head[:-1](inputs)
        return self.options(state, self.head[-1](state), tab, tabular)


def network_for(
    config: TrainConfig, frame_shape: tuple[int, int, int] | None, tabular_features: int, out_features: int
) -> PassOutcomeNet:
    """The network ``config`` describes, for plays of ``frame_shape`` (None: situation-only) with
    ``tabular_features`` inputs and ``out_features`` raw outputs: what training builds and an artifact
    loads."""
    return PassOutcomeNet(
        frame_shape=frame_shape,
        tabular_features=tabular_features,
        out_features=out_features,
        channels=config.channels,
        kernel_size=config.kernel_size,
        dilations=config.dilations,
        hidden=config.hidden,
        dropout=config.dropout,
        option_columns=config.option_columns,
        option_count=config.option_count,
    )


def count_flops_per_play(model: PassOutcomeNet, frames: int) -> int:
    """Floating-point operations (2 per multiply-add) of one play's forward pass over ``frames`` frames:
    the per-frame projection and convolutions run on every frame, the head once."""
    total = 0
    per_option = set(model.options.option_net.modules()) if model.options is not None else set()
    for module in model.modules():
        if isinstance(module, nn.Conv1d):
            total += 2 * module.in_channels * module.out_channels * module.kernel_size[0] * frames
        elif isinstance(module, nn.Linear):
            per_frame = model.encoder is not None and module is model.encoder.project
            times = frames if per_frame else model.options.columns.shape[0] if module in per_option else 1
            total += 2 * module.in_features * module.out_features * times
    return int(total)


def init_output_bias(model: PassOutcomeNet, bias: Tensor) -> None:
    """Start the head at a sensible distribution (for example the training marginal's bin logits)."""
    last = model.head[-1]
    with torch.no_grad():
        last.weight.mul_(0.1)
        last.bias.copy_(bias)
    if model.options is not None:
        model.options.init_bias(bias[: model.options.bins])


__all__ = [
    "Dropout",
    "PassOutcomeNet",
    "TCNEncoder",
    "causal_conv",
    "count_flops_per_play",
    "init_output_bias",
    "network_for",
    "receptive_field",
]
