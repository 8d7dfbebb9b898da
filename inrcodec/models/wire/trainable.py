"""The trainable (PyTorch) twin of WIRE (complex layers held as real and imaginary parts)
(``network.py``: the model, its config and its normative forward)."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..trainable_base import CoordinateNetwork
from .network import WireConfig


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
