"""The trainable (PyTorch) skeleton of the MLP baselines (``network.py``: config and normative forward);
subclasses define ``activate`` and their initialisation."""

from __future__ import annotations

import torch
from torch import nn

from ..trainable_base import CoordinateNetwork
from .network import MlpConfig


class ActivationMlp(CoordinateNetwork):
    """``y = W_out σ_L(W_L … σ_0(W_0 encode(x)))``; subclasses define ``activate`` and init."""

    def __init__(self, config: MlpConfig):
        super().__init__()
        self.config = config
        width = config.width
        self.layers = nn.ModuleList(
            [nn.Linear(config.encoded_features(), width)]
            + [nn.Linear(width, width) for _ in range(config.hidden_layers)])
        self.output = nn.Linear(width, config.out_features)

    def encode(self, coords: torch.Tensor) -> torch.Tensor:
        return coords

    def activate(self, z: torch.Tensor, index: int) -> torch.Tensor:
        raise NotImplementedError

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        z = self.encode(coords)
        for index, layer in enumerate(self.layers):
            z = self.activate(layer(z), index)
        return self.output(z)
