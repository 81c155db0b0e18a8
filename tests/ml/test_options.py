"""The receiving-option mixture head (ml/options.py): its bins are the weighted mixture of the options'
distributions, absent options weigh nothing, and the passing model is trained and stored with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml.options import OptionMixtureHead
from ml.tcn import PassOutcomeNet, init_output_bias

BINS, HIDDEN, FIELDS, OPTIONS, TABULAR = 12, 8, 3, 4, 16
# Options' columns start at 2; each option's first field is its presence flag.
COLUMNS = tuple(range(2, 2 + OPTIONS * FIELDS))


def _inputs(present: list[float], n: int = 3, seed: int = 0) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    state = torch.randn(n, HIDDEN, generator=generator)
    base = torch.randn(n, BINS + 4, generator=generator)
    raw = torch.randn(n, TABULAR, generator=generator)
    raw[:, list(COLUMNS[::FIELDS])] = torch.tensor(present)
    return state, base, raw


def test_the_bins_are_the_weighted_mixture_of_the_components() -> None:
    torch.manual_seed(1)
    head = OptionMixtureHead(HIDDEN, BINS, COLUMNS, OPTIONS).eval()
    state, base, raw = _inputs([1.0, 0.0, 1.0, 1.0])
    tabular = raw * 0.5  # the standardized inputs the network passes (any values will do here)
    out = head(state, base, tabular, raw)
    assert out.shape == (3, BINS + 4)
    assert torch.equal(out[:, BINS:], base[:, BINS:])  # the tails are the base head's
    # The mixture recomputed by hand: a weight per component, each component's bin probabilities.
    components = [torch.softmax(base[:, :BINS], dim=1)]
    logits = [head.other_weight(state)[:, 0]]
    for option in range(OPTIONS):
        fields = tabular[:, list(COLUMNS[option * FIELDS : (option + 1) * FIELDS])]
        option_out = head.option_net(torch.cat([state, fields], dim=1))
        components.append(torch.softmax(option_out[:, 1:], dim=1))
        logits.append(option_out[:, 0] if option != 1 else torch.full((3,), -torch.inf))
    weights = torch.softmax(torch.stack(logits, dim=1), dim=1)
    expected = sum(weights[:, [k]] * components[k] for k in range(OPTIONS + 1))
    torch.testing.assert_close(torch.exp(out[:, :BINS]), expected, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(torch.exp(out[:, :BINS]).sum(1), torch.ones(3))


def test_an_absent_option_weighs_nothing() -> None:
    torch.manual_seed(2)
    head = OptionMixtureHead(HIDDEN, BINS, COLUMNS, OPTIONS).eval()
    state, base, raw = _inputs([1.0, 1.0, 0.0, 0.0])
    changed = raw.clone()
    changed[:, list(COLUMNS[2 * FIELDS + 1 : 3 * FIELDS])] += 50.0  # option 3's fields, not its flag
    assert torch.equal(head(state, base, raw, raw), head(state, base, changed, changed))
    present = raw.clone()
    present[:, COLUMNS[2 * FIELDS]] = 1.0  # option 3 present: now its fields matter
    assert not torch.allclose(head(state, base, present, present), head(state, base, changed, present))


def test_the_option_columns_must_split_evenly() -> None:
    with pytest.raises(ValueError, match="do not split into 4 options"):
        OptionMixtureHead(HIDDEN, BINS, COLUMNS[:-1], OPTIONS)


def test_a_network_starts_every_component_at_the_prior() -> None:
    torch.manual_seed(3)
    net = PassOutcomeNet(None, TABULAR, BINS + 4, hidden=HIDDEN, option_columns=COLUMNS, option_count=OPTIONS)
    prior = torch.log_softmax(torch.linspace(-2.0, 1.0, BINS), dim=0)
    init_output_bias(net, torch.cat([prior, torch.zeros(4)]))
    _, _, raw = _inputs([1.0, 1.0, 1.0, 0.0], n=64)
    with torch.no_grad():
        raw_out = net.eval()(torch.zeros(64, 0), torch.ones(64, dtype=torch.long), raw)
    bins = torch.log_softmax(raw_out[:, :BINS], 1)
    # Small initial weights: every play starts near the prior, whatever its options.
    assert float((bins.exp() - prior.exp()).abs().max()) < 0.05
    assert np.isfinite(bins.numpy()).all()
