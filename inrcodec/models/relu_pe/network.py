"""ReLU MLP on a positional encoding (Mildenhall et al. 2020; Tancik et al. 2020):
γ(x) = [x, sin(2^k π x), cos(2^k π x)] for k = 0..L−1, then Linear → ReLU layers.

L follows the resolution: the highest frequency 2^(L−1)π has a period of about four samples, so
L = round(log2(side)) − 1 (7 for a 256-pixel side, 9 for Kodak's 768).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..base import Ops, relu
from ..mlp.network import MlpConfig, MlpNetwork

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


def positional_encoding(points: np.ndarray, frequencies: int) -> np.ndarray:
    """γ(x) = [x, sin(2^k π x), cos(2^k π x)]: ``(N, d)`` -> ``(N, d·(1 + 2·frequencies))``."""
    k = np.arange(frequencies, dtype=points.dtype)
    angles = (points[..., None] * (math.pi * 2 ** k)).reshape(*points.shape[:-1], -1)
    return np.concatenate([points, np.sin(angles), np.cos(angles)], axis=-1)


class ReluPeNetwork(MlpNetwork):
    config: ReluPeConfig

    def encode(self, points):
        return positional_encoding(points, self.config.frequencies)

    def activate(self, z, index):
        return relu(z)


__all__ = ["ReluPeConfig", "ReluPeNetwork", "positional_encoding"]
