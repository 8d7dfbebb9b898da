"""ReLU MLP on a positional encoding (Mildenhall et al. 2020; Tancik et al. 2020):
γ(x) = [x, sin(2^k π x), cos(2^k π x)] for k = 0..L−1, then Linear → ReLU layers.

L follows the resolution: the highest frequency 2^(L−1)π has a period of about four samples, so
L = round(log2(side)) − 1 (7 for a 256-pixel side, 9 for Kodak's 768).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch

from .base import Ops
from .mlp import ActivationMlp, MlpConfig


@dataclass(frozen=True)
class ReluPeConfig(MlpConfig):
    frequencies: int = 8

    def encoded_features(self) -> int:
        return self.in_features * (1 + 2 * self.frequencies)

    def encoding_ops(self) -> Ops:
        angles = self.in_features * self.frequencies
        return Ops(elementwise=angles + self.encoded_features(), transcendental=2 * angles)

    def activation_ops(self) -> Ops:
        return Ops(elementwise=1)

    def limits(self):
        return {**super().limits(), "frequencies": (0, 24)}

    def for_resolution(self, side: int) -> "ReluPeConfig":
        return replace(self, frequencies=max(1, round(math.log2(max(side, 2))) - 1))


class ReluPe(ActivationMlp):
    def encode(self, coords: torch.Tensor) -> torch.Tensor:
        k = torch.arange(self.config.frequencies, device=coords.device, dtype=coords.dtype)
        angles = (coords.unsqueeze(-1) * (math.pi * 2 ** k)).flatten(-2)
        return torch.cat([coords, torch.sin(angles), torch.cos(angles)], dim=-1)

    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        return torch.relu(z)
