"""Multiplicative filter networks (Fathony et al., ICLR 2021): no activations; the input goes
through a sinusoidal (FourierNet) or Gabor (GaborNet) filter at every layer and the layers multiply.

    z_0 = g_0(x);  z_i = (W_i z_{i−1} + b_i) ⊙ g_i(x);  y = W_out z_L + b_out
    Fourier: g(x) = sin(Ω x + φ);  Gabor: g(x) = exp(−½ γ ‖x − μ‖²) ⊙ sin(Ω x + φ)

Ω is initialised with ``input_scale``/√(L+1) spread over the filters so the product of L+1
filters reaches frequencies of about ``input_scale`` (the authors' scheme); γ ~ Γ(6/(L+1), 1),
μ ~ U(−1, 1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np

from ..base import Network, Ops, linear, linear_shapes
from ..mlp.network import MlpConfig

@dataclass(frozen=True)
class MfnConfig(MlpConfig):
    """FourierNet."""

    gabor: ClassVar[bool] = False
    input_scale: float = 256.0

    def parameter_shapes(self):
        w, shapes = self.width, []
        for i in range(self.hidden_layers + 1):  # a filter's own envelope first, then its linear map
            if self.gabor:
                shapes += [(f"filters.{i}.centres", (w, self.in_features)), (f"filters.{i}.widths", (w,))]
            shapes += linear_shapes(f"filters.{i}.linear", self.in_features, w)
        for i in range(self.hidden_layers):
            shapes += linear_shapes(f"hidden.{i}", w, w)
        return shapes + linear_shapes("output", w, self.out_features)

    def point_ops(self) -> Ops:
        w, filters = self.width, self.hidden_layers + 1
        wave = Ops(self.in_features * w, elementwise=w, transcendental=w)
        envelope = Ops(elementwise=(3 * self.in_features + 3) * w, transcendental=w) if self.gabor else Ops()
        hidden = Ops(w * w, elementwise=2 * w) * self.hidden_layers
        return filters * (wave + envelope) + hidden + Ops(w * self.out_features, self.out_features)

    def floats_per_point(self) -> int:
        return (4 + (self.in_features if self.gabor else 0)) * self.width + self.out_features

    def limits(self):
        return {**super().limits(), "input_scale": (1e-3, 1e5)}

    def for_resolution(self, side: int) -> "MfnConfig":
        return replace(self, input_scale=float(side))


@dataclass(frozen=True)
class GaborMfnConfig(MfnConfig):
    """GaborNet: each filter also has a centre μ (in_features) and a width γ per output."""

    gabor: ClassVar[bool] = True


class MfnNetwork(Network):
    """FourierNet and GaborNet (the config says which)."""

    config: MfnConfig

    def filter(self, points: np.ndarray, index: int) -> np.ndarray:
        name = f"filters.{index}"
        wave = np.sin(linear(points, self.parameters, f"{name}.linear"))
        if not self.config.gabor:
            return wave
        distance = ((points[:, None, :] - self.parameters[f"{name}.centres"]) ** 2).sum(-1)
        return wave * np.exp(np.float32(-0.5) * self.parameters[f"{name}.widths"] * distance)

    def on_points(self, points):
        z = self.filter(points, 0)
        for i in range(self.config.hidden_layers):
            z = linear(z, self.parameters, f"hidden.{i}") * self.filter(points, i + 1)
        return linear(z, self.parameters, "output")


__all__ = ["MfnConfig", "GaborMfnConfig", "MfnNetwork"]
