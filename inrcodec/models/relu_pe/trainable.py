"""The trainable (PyTorch) twin of the ReLU MLP on a positional encoding (``network.py``: the model,
its config and its normative forward)."""

from __future__ import annotations

import math

import torch

from ..mlp.trainable import ActivationMlp
from .network import ReluPeConfig


class ReluPe(ActivationMlp):
    config: ReluPeConfig

    def encode(self, coords: torch.Tensor) -> torch.Tensor:
        k = torch.arange(self.config.frequencies, device=coords.device, dtype=coords.dtype)
        angles = (coords.unsqueeze(-1) * (math.pi * 2 ** k)).flatten(-2)
        return torch.cat([coords, torch.sin(angles), torch.cos(angles)], dim=-1)

    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        return torch.relu(z)
