"""The skeleton shared by the MLP baselines: input encoding, Linear → activation layers, linear output.

SIREN, FINER, Gauss, STAF and ReLU + positional encoding differ only in ``encode`` (the input
features), ``activate`` (the nonlinearity, possibly with its own parameters) and initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from torch import nn

from .base import CoordinateNetwork, ModelConfig, Ops


@dataclass(frozen=True)
class MlpConfig(ModelConfig):
    width: int = 64
    hidden_layers: int = 3

    def encoded_features(self) -> int:
        return self.in_features

    def activation_parameters(self) -> int:
        """Parameters of the nonlinearities themselves (STAF's sinusoid mixtures), 0 for most."""
        return 0

    def encoding_ops(self) -> Ops:
        """The arithmetic of computing the input features from the coordinates (none: they are)."""
        return Ops()

    def activation_ops(self) -> Ops:
        """The arithmetic of one activation σ(z) of one neuron (here sin(ω·z))."""
        return Ops(elementwise=1, transcendental=1)

    def point_ops(self) -> Ops:
        w, layers = self.width, self.hidden_layers + 1
        linear = self.encoded_features() * w + self.hidden_layers * w * w + w * self.out_features
        outputs = layers * w + self.out_features
        return self.encoding_ops() + Ops(linear, outputs) + (layers * w) * self.activation_ops()

    def floats_per_point(self) -> int:
        return self.encoded_features() + 3 * self.width + self.out_features

    def parameter_count(self) -> int:
        w = self.width
        first = self.encoded_features() * w + w
        hidden = self.hidden_layers * (w * w + w)
        return first + hidden + w * self.out_features + self.out_features + self.activation_parameters()

    def limits(self) -> dict[str, tuple[float, float]]:
        return {**super().limits(), "width": (1, 1024), "hidden_layers": (0, 16)}

    @classmethod
    def sized_for(cls, budget: int, in_features: int, out_features: int, side: int) -> "MlpConfig":
        """The widest network of this family with at most ``budget`` parameters."""
        config = cls(in_features, out_features, width=1).for_resolution(side)
        width = 1
        while width < 1024 and replace(config, width=width + 1).parameter_count() <= budget:
            width += 1
        return replace(config, width=width)

    def for_resolution(self, side: int) -> "MlpConfig":
        """Adapt resolution-dependent fields to a signal whose longer side is ``side`` samples."""
        return self


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
