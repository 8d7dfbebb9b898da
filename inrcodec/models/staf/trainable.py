"""The trainable (PyTorch) twin of STAF (``network.py``: the model, its config and its normative
forward).

Initialisation as in the paper: w_i ~ ω·U(0, 1), φ_i ~ U(−π, π), b_i = sign(s)·√|s| with
s ~ Laplace(0, 1/(2τ)); the linear layers use SIREN's initialisation with ω.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..mlp.trainable import ActivationMlp
from .network import StafConfig


class Staf(ActivationMlp):
    def __init__(self, config: StafConfig):
        super().__init__(config)
        count, tau = len(self.layers), config.terms
        laplace = torch.distributions.Laplace(torch.tensor(0.0), torch.tensor(1 / (2 * tau)),
                                              validate_args=False).sample((count, tau))
        self.amplitudes = nn.Parameter(torch.sign(laplace) * laplace.abs().sqrt())
        self.frequencies = nn.Parameter(config.omega * torch.rand(count, tau))
        self.phases = nn.Parameter(math.pi * (2 * torch.rand(count, tau) - 1))
        with torch.no_grad():
            for index, layer in enumerate(self.layers):
                fan_in = layer.in_features
                bound = 1 / fan_in if index == 0 else math.sqrt(6 / fan_in) / config.omega
                layer.weight.uniform_(-bound, bound)

    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        waves = torch.sin(z.unsqueeze(-1) * self.frequencies[index] + self.phases[index])
        return waves @ self.amplitudes[index]
