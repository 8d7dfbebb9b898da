"""The trainable (PyTorch) twin of the multiplicative filter networks (``network.py``: the model, its
config and its normative forward).

Ω is initialised with ``input_scale``/√(L+1) spread over the filters so the product of L+1
filters reaches frequencies of about ``input_scale`` (the authors' scheme); γ ~ Γ(6/(L+1), 1),
μ ~ U(−1, 1).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..trainable_base import CoordinateNetwork
from .network import MfnConfig

class Filter(nn.Module):
    def __init__(self, in_features: int, width: int, frequency_scale: float, gamma_shape: float | None):
        super().__init__()
        self.linear = nn.Linear(in_features, width)
        with torch.no_grad():
            self.linear.weight.uniform_(-1, 1).mul_(frequency_scale)
            self.linear.bias.uniform_(-math.pi, math.pi)
        if gamma_shape is not None:
            self.centres = nn.Parameter(torch.rand(width, in_features) * 2 - 1)
            gamma = torch.distributions.Gamma(torch.tensor(gamma_shape), torch.tensor(1.0), validate_args=False)
            self.widths = nn.Parameter(gamma.sample((width,)))
        else:
            self.centres = self.widths = None

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        wave = torch.sin(self.linear(coords))
        if self.centres is None:
            return wave
        distance = ((coords.unsqueeze(-2) - self.centres) ** 2).sum(-1)
        return wave * torch.exp(-0.5 * self.widths * distance)


class Mfn(CoordinateNetwork):
    def __init__(self, config: MfnConfig):
        super().__init__()
        self.config = config
        count = config.hidden_layers + 1
        scale = config.input_scale / math.sqrt(count)
        gamma_shape = 6.0 / count if config.gabor else None
        self.filters = nn.ModuleList(Filter(config.in_features, config.width, scale, gamma_shape)
                                     for _ in range(count))
        self.hidden = nn.ModuleList(nn.Linear(config.width, config.width) for _ in range(config.hidden_layers))
        bound = math.sqrt(1 / config.width)
        with torch.no_grad():
            for layer in self.hidden:
                layer.weight.uniform_(-bound, bound)
        self.output = nn.Linear(config.width, config.out_features)

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        z = self.filters[0](coords)
        for layer, filter_ in zip(self.hidden, self.filters[1:]):
            z = layer(z) * filter_(coords)
        return self.output(z)
