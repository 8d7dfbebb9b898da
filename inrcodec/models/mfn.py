"""Multiplicative filter networks (Fathony et al., ICLR 2021): no activations; the input goes
through a sinusoidal (FourierNet) or Gabor (GaborNet) filter at every layer and the layers multiply.

    z_0 = g_0(x);  z_i = (W_i z_{i−1} + b_i) ⊙ g_i(x);  y = W_out z_L + b_out
    Fourier: g(x) = sin(Ω x + φ);  Gabor: g(x) = exp(−½ γ ‖x − μ‖²) ⊙ sin(Ω x + φ)

Ω is initialised with ``input_scale``/√(L+1) spread over the filters so the product of L+1
filters reaches frequencies of about ``input_scale`` (the authors' scheme); γ ~ Γ(6/(L+1), 1),
μ ~ U(−1, 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import ClassVar

import torch
from torch import nn

from .base import CoordinateNetwork, Ops
from .mlp import MlpConfig

@dataclass(frozen=True)
class MfnConfig(MlpConfig):
    """FourierNet."""

    gabor: ClassVar[bool] = False
    input_scale: float = 256.0

    def parameter_count(self) -> int:
        w, filters = self.width, self.hidden_layers + 1
        per_filter = (self.in_features * w + w) * (2 if self.gabor else 1)
        return filters * per_filter + self.hidden_layers * (w * w + w) + w * self.out_features + self.out_features

    def point_ops(self) -> Ops:
        w, filters = self.width, self.hidden_layers + 1
        wave = Ops(self.in_features * w, elementwise=w, transcendental=w)
        envelope = Ops(elementwise=(3 * self.in_features + 3) * w, transcendental=w) if self.gabor else Ops()
        hidden = Ops(w * w, elementwise=2 * w) * self.hidden_layers
        return filters * (wave + envelope) + hidden + Ops(w * self.out_features, self.out_features)

    def floats_per_point(self) -> int:
        return (4 + (self.in_features if self.gabor else 0)) * self.width + self.out_features

    def limits(self):
        return {**super().limits(), "input_scale": (1e-3, 1e5)}

    def for_resolution(self, side: int) -> "MfnConfig":
        return replace(self, input_scale=float(side))


@dataclass(frozen=True)
class GaborMfnConfig(MfnConfig):
    """GaborNet: each filter also has a centre μ (in_features) and a width γ per output."""

    gabor: ClassVar[bool] = True


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
