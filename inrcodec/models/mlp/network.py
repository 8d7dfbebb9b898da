"""The skeleton shared by the MLP baselines: input encoding, Linear → activation layers, linear output.

SIREN, FINER, Gauss, STAF and ReLU + positional encoding differ only in ``encode`` (the input
features), ``activate`` (the nonlinearity, possibly with its own parameters) and initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..base import ModelConfig, Network, Ops, linear, linear_shapes


@dataclass(frozen=True)
class MlpConfig(ModelConfig):
    width: int = 64
    hidden_layers: int = 3

    def encoded_features(self) -> int:
        return self.in_features

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

    def parameter_shapes(self):
        w = self.width
        shapes = linear_shapes("layers.0", self.encoded_features(), w)
        for i in range(self.hidden_layers):
            shapes += linear_shapes(f"layers.{i + 1}", w, w)
        return self.activation_shapes() + shapes + linear_shapes("output", w, self.out_features)

    def activation_shapes(self) -> list:
        """The nonlinearities' own parameters (STAF's sinusoid mixtures; none for most), which the
        trainable twin registers first."""
        return []

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


class MlpNetwork(Network):
    """``y = W_out σ_L(W_L … σ_0(W_0 encode(x)))``: the normative forward of the MLP baselines;
    subclasses define ``activate`` (and ``encode`` where the input is encoded)."""

    config: MlpConfig

    def encode(self, points: np.ndarray) -> np.ndarray:
        return points

    def activate(self, z: np.ndarray, index: int) -> np.ndarray:
        raise NotImplementedError

    def on_points(self, points):
        z = self.encode(points)
        for index in range(self.config.hidden_layers + 1):
            z = self.activate(linear(z, self.parameters, f"layers.{index}"), index)
        return linear(z, self.parameters, "output")
