"""WIRE (Saragadam et al., CVPR 2023): an MLP with the complex Gabor wavelet activation
σ(z) = exp(j·ω·z − |s·z|²).

The first layer maps real coordinates with real weights; hidden layers and the output layer are
complex (their real and imaginary parts are separate real tensors, so the same quantizer and coder
apply); the output is the real part. As in the authors' code, the complex layers are narrower by √2
so that a WIRE and a real MLP of equal ``width`` have about the same number of real parameters —
here ``width`` is that complex width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import Network, Ops, linear, linear_shapes
from ..mlp.network import MlpConfig

@dataclass(frozen=True)
class WireConfig(MlpConfig):
    omega: float = 20.0
    scale: float = 10.0

    def parameter_shapes(self):
        w = self.width
        shapes = linear_shapes("first", self.in_features, w)
        for i in range(self.hidden_layers):
            shapes += complex_linear_shapes(f"hidden.{i}", w, w)
        return shapes + complex_linear_shapes("output", w, self.out_features, bias_imaginary=False)

    def point_ops(self) -> Ops:
        w, layers = self.width, self.hidden_layers + 1
        gabor = Ops(elementwise=8, transcendental=4)  # |z|, complex exp (exp, cos, sin), products
        complex_layers = Ops(4 * w * w, elementwise=2 * w) * self.hidden_layers
        first_and_output = Ops(self.in_features * w + 4 * w * self.out_features, w + 2 * self.out_features)
        return first_and_output + complex_layers + (layers * w) * gabor

    def floats_per_point(self) -> int:
        return 8 * self.width + self.out_features  # complex activations: two floats each

    def limits(self):
        return {**super().limits(), "omega": (1e-3, 1e4), "scale": (1e-3, 1e4)}


def complex_linear_shapes(name: str, in_features: int, out_features: int, bias_imaginary: bool = True) -> list:
    parts = [("weight_real", (out_features, in_features)), ("weight_imag", (out_features, in_features)),
             ("bias_real", (out_features,))] + ([("bias_imag", (out_features,))] if bias_imaginary else [])
    return [(f"{name}.{part}", shape) for part, shape in parts]


class WireNetwork(Network):
    config: WireConfig

    def gabor(self, z: np.ndarray) -> np.ndarray:
        omega, scale = np.float32(self.config.omega), np.float32(self.config.scale)
        return np.exp(1j * omega * z - (scale * np.abs(z)) ** 2).astype(np.complex64)

    def complex_linear(self, z: np.ndarray, name: str) -> np.ndarray:
        p = self.parameters
        weight = p[f"{name}.weight_real"] + 1j * p[f"{name}.weight_imag"]
        bias = p[f"{name}.bias_real"] + 1j * p.get(f"{name}.bias_imag", np.float32(0))
        return (z @ weight.astype(np.complex64).T + bias).astype(np.complex64)

    def on_points(self, points):
        z = self.gabor(linear(points, self.parameters, "first"))
        for i in range(self.config.hidden_layers):
            z = self.gabor(self.complex_linear(z, f"hidden.{i}"))
        return np.ascontiguousarray(self.complex_linear(z, "output").real)


__all__ = ["WireConfig", "WireNetwork"]
