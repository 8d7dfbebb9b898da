"""Gaussian-activated MLP (Ramasinghe & Lucey, ECCV 2022): σ(z) = exp(−(s·z)²), PyTorch's default
initialisation; ``scale`` s = 10 as in the WIRE authors' comparison code."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .base import Ops
from .mlp import ActivationMlp, MlpConfig


@dataclass(frozen=True)
class GaussConfig(MlpConfig):
    scale: float = 10.0

    def activation_ops(self) -> Ops:
        return Ops(elementwise=3, transcendental=1)

    def limits(self):
        return {**super().limits(), "scale": (1e-3, 1e4)}


class Gauss(ActivationMlp):
    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        return torch.exp(-(self.config.scale * z) ** 2)
