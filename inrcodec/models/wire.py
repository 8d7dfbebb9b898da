"""WIRE (Saragadam et al., CVPR 2023): an MLP with the complex Gabor wavelet activation
σ(z) = exp(j·ω·z − |s·z|²).

The first layer maps real coordinates with real weights; hidden layers and the output layer are
complex (their real and imaginary parts are separate real tensors, so the same quantizer and coder
apply); the output is the real part. As in the authors' code, the complex layers are narrower by √2
so that a WIRE and a real MLP of equal ``width`` have about the same number of real parameters —
here ``width`` is that complex width.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .base import CoordinateNetwork, Ops
from .mlp import MlpConfig


@dataclass(frozen=True)
class WireConfig(MlpConfig):
    omega: float = 20.0
    scale: float = 10.0

    def parameter_count(self) -> int:
        w = self.width
        first = self.in_features * w + w
        hidden = self.hidden_layers * 2 * (w * w + w)
        return first + hidden + 2 * w * self.out_features + self.out_features

    def point_ops(self) -> Ops:
        w, layers = self.width, self.hidden_layers + 1
        gabor = Ops(elementwise=8, transcendental=4)  # |z|, complex exp (exp, cos, sin), products
        complex_layers = Ops(4 * w * w, elementwise=2 * w) * self.hidden_layers
        first_and_output = Ops(self.in_features * w + 4 * w * self.out_features, w + 2 * self.out_features)
        return first_and_output + complex_layers + (layers * w) * gabor

    def floats_per_point(self) -> int:
        return 8 * self.width + self.out_features  # complex activations: two floats each

    def limits(self):
        return {**super().limits(), "omega": (1e-3, 1e4), "scale": (1e-3, 1e4)}


class ComplexLinear(nn.Module):
    """``W z + b`` with complex ``W``, ``b`` held as real and imaginary parts."""

    def __init__(self, in_features: int, out_features: int, bias_imaginary: bool = True):
        super().__init__()
        bound = 1 / math.sqrt(in_features)
        self.weight_real = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.weight_imag = nn.Parameter(torch.empty(out_features, in_features).uniform_(-bound, bound))
        self.bias_real = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound))
        self.bias_imag = nn.Parameter(torch.empty(out_features).uniform_(-bound, bound)) if bias_imaginary else None

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        weight = torch.complex(self.weight_real, self.weight_imag)
        bias = torch.complex(self.bias_real, self.bias_imag if self.bias_imag is not None
                             else torch.zeros_like(self.bias_real))
        return z @ weight.T + bias


class Wire(CoordinateNetwork):
    def __init__(self, config: WireConfig):
        super().__init__()
        self.config = config
        self.first = nn.Linear(config.in_features, config.width)
        self.hidden = nn.ModuleList(ComplexLinear(config.width, config.width)
                                    for _ in range(config.hidden_layers))
        self.output = ComplexLinear(config.width, config.out_features, bias_imaginary=False)

    def gabor(self, z: torch.Tensor) -> torch.Tensor:
        omega, scale = self.config.omega, self.config.scale
        return torch.exp(1j * omega * z - (scale * z.abs()) ** 2)

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        z = self.gabor(self.first(coords))
        for layer in self.hidden:
            z = self.gabor(layer(z))
        return self.output(z).real
