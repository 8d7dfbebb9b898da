"""STAF (Morsali et al. 2025): each layer's activation is a trainable sum of τ sinusoids shared by
the layer's neurons, σ(z) = Σ_i b_i·sin(w_i·z + φ_i).

Initialisation as in the paper: w_i ~ ω·U(0, 1), φ_i ~ U(−π, π), b_i = sign(s)·√|s| with
s ~ Laplace(0, 1/(2τ)); the linear layers use SIREN's initialisation with ω.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .base import Ops
from .mlp import ActivationMlp, MlpConfig


@dataclass(frozen=True)
class StafConfig(MlpConfig):
    terms: int = 5  # τ
    omega: float = 30.0

    def activation_ops(self) -> Ops:
        return Ops(self.terms, elementwise=2 * self.terms, transcendental=self.terms)  # τ sinusoids, summed

    def floats_per_point(self) -> int:
        return self.encoded_features() + 3 * (self.terms + 1) * self.width + self.out_features  # (w, τ) temporaries

    def activation_parameters(self) -> int:
        return (self.hidden_layers + 1) * 3 * self.terms

    def limits(self):
        return {**super().limits(), "terms": (1, 64), "omega": (1e-3, 1e4)}


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
