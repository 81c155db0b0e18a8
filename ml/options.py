"""The receiving-option mixture head: the passing model's distribution of yards as a mixture over the
options a league-average QB could throw to.

A pass goes to one receiver, so the yards of a play read from the whole field are a mixture: the chance
that the throw goes to option o times the yards a throw to o gives, summed over the options. The plain
head must learn that sum implicitly from yards alone; this head has it built in. One small network,
shared by every option (so each play teaches it five times), reads the play's state (the trunk's hidden
vector) with one option's own inputs (presence, depth, separation, speed, ... at the release) and emits
that option's weight logit and bin logits; a sixth component, from the state alone, covers throws to
no listed option. The bins of the mixture are

    log p(bin) = logsumexp_o [ log w_o + log_softmax(bins_o)(bin) ],  w = softmax over present options,

which is again a set of bin logits, so the mixture is one spliced binned-Pareto (the tails' four
parameters come from the state alone). Absent options (``option_k_present`` false) get weight zero.

Shapes: state (N, hidden); tabular (N, F) standardized and raw; output (N, K + 4).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class OptionMixtureHead(nn.Module):
    """Bin logits of the mixture over options, with the tail parameters of the base head.

    ``option_columns`` (O * M,) tabular indices, option-major: option o's M fields are
    ``option_columns[o * M:(o + 1) * M]``, the first of them its presence flag (1 present, 0 absent)."""

    def __init__(self, hidden: int, bins: int, option_columns: tuple[int, ...], option_count: int):
        super().__init__()
        if option_count < 1 or len(option_columns) % option_count:
            raise ValueError(
                f"OptionMixtureHead: {len(option_columns)} option columns do not split into "
                f"{option_count} options"
            )
        self.bins = bins
        fields = len(option_columns) // option_count
        columns = torch.tensor(option_columns, dtype=torch.long).view(option_count, fields)
        self.register_buffer("columns", columns)
        self.option_net = nn.Sequential(
            nn.Linear(hidden + fields, hidden), nn.ReLU(), nn.Linear(hidden, 1 + bins)
        )
        self.other_weight = nn.Linear(hidden, 1)

    @torch.no_grad()
    def init_bias(self, bin_logits: Tensor) -> None:
        """Every option starts at the same distribution (``bin_logits`` (K,)) with equal weights."""
        last = self.option_net[-1]
        last.weight.mul_(0.1)
        last.bias.zero_()
        last.bias[1:].copy_(bin_logits)
        self.other_weight.weight.mul_(0.1)
        self.other_weight.bias.zero_()

    def forward(self, state: Tensor, base: Tensor, tabular: Tensor, raw_tabular: Tensor) -> Tensor:
        """``state`` (N, H) the trunk's output, ``base`` (N, K + 4) the base head's raw parameters (its bins
        are the no-option component), ``tabular`` (N, F) standardized, ``raw_tabular`` (N, F) as given."""
        n, options = state.shape[0], self.columns.shape[0]
        fields = tabular[:, self.columns]  # (N, O, M)
        present = raw_tabular[:, self.columns[:, 0]] > 0.5  # (N, O)
        inputs = torch.cat([state[:, None, :].expand(n, options, -1), fields], dim=2)
        out = self.option_net(inputs)  # (N, O, 1 + K)
        weight = torch.where(present, out[..., 0], torch.full_like(out[..., 0], -torch.inf))
        log_weight = torch.log_softmax(torch.cat([self.other_weight(state), weight], dim=1), dim=1)
        no_option = torch.log_softmax(base[:, None, : self.bins], dim=2)
        log_bins = torch.cat([no_option, torch.log_softmax(out[..., 1:], dim=2)], dim=1)  # (N, 1 + O, K)
        mixture = torch.logsumexp(log_weight[..., None] + log_bins, dim=1)
        return torch.cat([mixture, base[:, self.bins :]], dim=1)


__all__ = ["OptionMixtureHead"]
