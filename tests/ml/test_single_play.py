"""The single-play graphs (``ml.single_play``) give the batched scoring's numbers, play by play, for plays
of every length, at and beyond both goal lines; and a single play through the network equals the same
play inside a batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml.config import TrainConfig
from ml.score import score_plays
from ml.single_play import SinglePlayGraphs
from ml.tcn import PassOutcomeNet

SHAPE = (60, 22, 10)
TABULAR = 9
# Two receiving options of three fields (presence first) at tabular columns 3-8: the passing model's head.
OPTIONS = {"option_columns": tuple(range(3, 9)), "option_count": 2}


def _model(seed: int, **options) -> PassOutcomeNet:
    """A network with weights and standardization far from the initial ones (a trained model's are)."""
    torch.manual_seed(seed)
    model = PassOutcomeNet(SHAPE, TABULAR, 114, channels=16, **options)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.2 * torch.randn_like(parameter))
        model.encoder.input_scale.uniform_(0.5, 3.0)
        model.tabular_mean.normal_()
        model.tabular_std.uniform_(0.5, 2.0)
    return model.eval()


def _plays(n: int, seed: int) -> tuple[torch.Tensor, ...]:
    """(tensor, n_frames, tabular, yards, lower, upper) of n plays, 1 to 60 frames, zero-padded."""
    g = torch.Generator().manual_seed(seed)
    n_frames = torch.cat([torch.tensor([1, 60]), torch.randint(2, 60, (n - 2,), generator=g)])
    tensor = torch.randn(n, *SHAPE, generator=g)
    tensor[torch.arange(SHAPE[0])[None, :] >= n_frames[:, None]] = 0.0
    upper = torch.randint(1, 100, (n,), generator=g).float()
    # Outcomes in the field, beyond the goal line (a touchdown) and behind the own goal line.
    yards = torch.randint(-30, 60, (n,), generator=g).float()
    yards[:3] = torch.stack([upper[0] + 5, upper[1], upper[2] - 101])
    return tensor, n_frames, torch.randn(n, TABULAR, generator=g), yards, upper - 100.0, upper


@pytest.mark.parametrize("options", [{}, OPTIONS], ids=["plain head", "option mixture head"])
def test_single_play_graphs_equal_the_batched_scores(options: dict) -> None:
    config = TrainConfig(**options)
    torch.set_num_threads(1)
    model = _model(0, **options)
    plays = _plays(24, seed=1)
    plays[2][:, [3, 6]] = torch.tensor([1.0, 0.0]).repeat(24, 1)  # option 1 present, option 2 absent
    batched = score_plays(model, config, plays, plays[3].numpy())
    graphs = SinglePlayGraphs(model, config)
    with torch.inference_mode():
        for i in range(len(plays[0])):
            n = int(plays[1][i])
            frames = plays[0][i : i + 1, :n].reshape(1, n, -1)
            one = graphs(frames, *(t[i : i + 1] for t in plays[1:]))
            for name in ("cdf_lower", "cdf_upper", "percentile"):
                assert abs(one[name] - batched[name][i]) < 1e-5, (i, n, name, one[name], batched[name][i])
            # The mean of a heavy tail (xi up to 0.9) magnifies the float32 rounding of the network's
            # output up to 1 / (1 - xi)^2 times: relative 1e-4 (a percentile takes no such factor).
            expected = batched["expected_yards"][i]
            assert abs(one["expected_yards"] - expected) < 1e-4 * max(1.0, abs(expected)), (i, n)
    # The checks above can fail: the plays' percentiles differ, so a graph that ignored its inputs would not
    # reproduce them.
    assert np.ptp(batched["percentile"]) > 0.3


def test_one_play_alone_equals_the_play_in_a_batch() -> None:
    """The network's single-play path (a matrix multiply of the convolution taps) and its batched path
    (the convolution kernel) agree."""
    model = _model(2)
    tensor, n_frames, tabular = _plays(8, seed=3)[:3]
    with torch.inference_mode():
        batched = model(tensor, n_frames, tabular)
        for i in range(len(tensor)):
            alone = model(tensor[i : i + 1], n_frames[i : i + 1], tabular[i : i + 1])
            assert torch.allclose(alone[0], batched[i], atol=1e-5, rtol=1e-5)


class _SearchSorted(torch.nn.Module):
    def __init__(self, right: bool):
        super().__init__()
        self.right = right

    def forward(self, sorted_sequence: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        return torch.searchsorted(sorted_sequence, values, right=self.right)


@pytest.mark.parametrize("right", [False, True], ids=["left", "right"])
@pytest.mark.parametrize("batched", [False, True], ids=["one sequence", "a sequence per row"])
def test_exported_searchsorted_equals_torch(right: bool, batched: bool) -> None:
    """The ONNX form of ``torch.searchsorted`` the single-play graphs are exported with: the same
    positions as torch's, values on the sorted entries (where left and right differ), between them and
    beyond both ends."""
    from ml.single_play import _session  # noqa: PLC0415 - the export helper itself

    g = torch.Generator().manual_seed(4)
    sorted_sequence = torch.sort(
        torch.randn(3, 9, generator=g) if batched else torch.randn(9, generator=g)
    ).values
    ties = (sorted_sequence if batched else sorted_sequence.expand(3, 9))[:, ::2]
    values = torch.cat(
        [ties, torch.randn(3, 6, generator=g) * 2, torch.tensor([[-9.0, 9.0]]).expand(3, 2)], 1
    )
    example = (sorted_sequence, values)
    session = _session(_SearchSorted(right), example, ("sorted_sequence", "values"))
    exported = session.run(None, {"sorted_sequence": sorted_sequence.numpy(), "values": values.numpy()})[0]
    expected = torch.searchsorted(sorted_sequence, values, right=right).numpy()
    np.testing.assert_array_equal(exported, expected)
    # Left and right differ on the ties, so each form is checked against its own side.
    assert not np.array_equal(expected, torch.searchsorted(sorted_sequence, values, right=not right).numpy())


class _MoveDim(torch.nn.Module):
    def __init__(self, source, destination):
        super().__init__()
        self.source, self.destination = source, destination

    def forward(self, value: torch.Tensor) -> torch.Tensor:
        return torch.movedim(value, self.source, self.destination) * 1.0


@pytest.mark.parametrize(("source", "destination"), [(-1, 0), (0, -1), (1, 2), ([0, -1], [-1, 1])])
def test_exported_movedim_equals_torch(source, destination) -> None:
    """The ONNX form of ``torch.movedim`` (negative axes, one axis or several) gives torch's layout."""
    from ml.single_play import _session  # noqa: PLC0415 - the export helper itself

    value = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    session = _session(_MoveDim(source, destination), (value,), ("value",))
    exported = session.run(None, {"value": value.numpy()})[0]
    np.testing.assert_array_equal(exported, torch.movedim(value, source, destination).numpy())
