"""Sine-activated MLPs: SIREN (Sitzmann et al. 2020; the network COIN codes) and FINER
(Liu et al. 2024), which widens SIREN's frequency support with a variable-periodic activation.

    SIREN:  σ(z) = sin(ω·z)
    FINER:  σ(z) = sin(ω·(|z| + 1)·z), the scale |z| + 1 taken without gradient

Both use SIREN's initialisation: first layer W ~ U(−1/in, 1/in), later layers
W ~ U(−√(6/in)/ω, √(6/in)/ω). FINER draws the first layer's bias from U(−k, k) (k =
``first_bias_scale``) to spread the frequencies the first layer starts from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import Ops
from ..mlp.network import MlpConfig, MlpNetwork

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


class SirenNetwork(MlpNetwork):
    config: SirenConfig

    def omega(self, index: int) -> np.float32:
        return np.float32(self.config.first_omega if index == 0 else self.config.hidden_omega)

    def activate(self, z, index):
        return np.sin(self.omega(index) * z)


class FinerNetwork(SirenNetwork):
    def activate(self, z, index):
        return np.sin(self.omega(index) * (np.abs(z) + np.float32(1)) * z)


__all__ = ["SirenConfig", "FinerConfig", "SirenNetwork", "FinerNetwork"]
