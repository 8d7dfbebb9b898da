"""Gaussian-activated MLP (Ramasinghe & Lucey, ECCV 2022): σ(z) = exp(−(s·z)²), PyTorch's default
initialisation; ``scale`` s = 10 as in the WIRE authors' comparison code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import Ops
from ..mlp.network import MlpConfig, MlpNetwork

@dataclass(frozen=True)
class GaussConfig(MlpConfig):
    scale: float = 10.0

    def activation_ops(self) -> Ops:
        return Ops(elementwise=3, transcendental=1)

    def limits(self):
        return {**super().limits(), "scale": (1e-3, 1e4)}


class GaussNetwork(MlpNetwork):
    config: GaussConfig

    def activate(self, z, index):
        return np.exp(-(np.float32(self.config.scale) * z) ** 2)


__all__ = ["GaussConfig", "GaussNetwork"]
