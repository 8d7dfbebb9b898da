"""Sine-activated MLPs: SIREN (Sitzmann et al. 2020; the network COIN codes) and FINER
(Liu et al. 2024), which widens SIREN's frequency support with a variable-periodic activation.

    SIREN:  σ(z) = sin(ω·z)
    FINER:  σ(z) = sin(ω·(|z| + 1)·z), the scale |z| + 1 taken without gradient

Both use SIREN's initialisation: first layer W ~ U(−1/in, 1/in), later layers
W ~ U(−√(6/in)/ω, √(6/in)/ω). FINER draws the first layer's bias from U(−k, k) (k =
``first_bias_scale``) to spread the frequencies the first layer starts from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .base import Ops
from .mlp import ActivationMlp, MlpConfig


@dataclass(frozen=True)
class SirenConfig(MlpConfig):
    first_omega: float = 30.0
    hidden_omega: float = 30.0

    def limits(self):
        return {**super().limits(), "first_omega": (1e-3, 1e4), "hidden_omega": (1e-3, 1e4)}


@dataclass(frozen=True)
class FinerConfig(SirenConfig):
    first_bias_scale: float = 1.0

    def activation_ops(self) -> Ops:
        return Ops(elementwise=4, transcendental=1)  # |z| + 1, two products, sin

    def limits(self):
        return {**super().limits(), "first_bias_scale": (0.0, 1e3)}


class Siren(ActivationMlp):
    def __init__(self, config: SirenConfig):
        super().__init__(config)
        with torch.no_grad():
            for index, layer in enumerate(self.layers):
                fan_in = layer.in_features
                bound = 1 / fan_in if index == 0 else math.sqrt(6 / fan_in) / config.hidden_omega
                layer.weight.uniform_(-bound, bound)
            bound = math.sqrt(6 / config.width) / config.hidden_omega
            self.output.weight.uniform_(-bound, bound)

    def omega(self, index: int) -> float:
        return self.config.first_omega if index == 0 else self.config.hidden_omega

    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        return torch.sin(self.omega(index) * z)


class Finer(Siren):
    def __init__(self, config: FinerConfig):
        super().__init__(config)
        with torch.no_grad():
            self.layers[0].bias.uniform_(-config.first_bias_scale, config.first_bias_scale)

    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        scale = z.detach().abs() + 1
        return torch.sin(self.omega(index) * scale * z)
