"""The trainable (PyTorch) twin of the Gaussian-activated MLP (``network.py``: the model, its config
and its normative forward).

PyTorch's default initialisation."""

from __future__ import annotations

import torch

from ..mlp.trainable import ActivationMlp
from .network import GaussConfig


class Gauss(ActivationMlp):
    config: GaussConfig

    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        return torch.exp(-(self.config.scale * z) ** 2)
