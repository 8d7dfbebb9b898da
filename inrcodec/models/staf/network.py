"""STAF (Morsali et al. 2025): each layer's activation is a trainable sum of τ sinusoids shared by
the layer's neurons, σ(z) = Σ_i b_i·sin(w_i·z + φ_i).

Initialisation as in the paper: w_i ~ ω·U(0, 1), φ_i ~ U(−π, π), b_i = sign(s)·√|s| with
s ~ Laplace(0, 1/(2τ)); the linear layers use SIREN's initialisation with ω.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import Ops
from ..mlp.network import MlpConfig, MlpNetwork

@dataclass(frozen=True)
class StafConfig(MlpConfig):
    terms: int = 5  # τ
    omega: float = 30.0

    def activation_ops(self) -> Ops:
        return Ops(self.terms, elementwise=2 * self.terms, transcendental=self.terms)  # τ sinusoids, summed

    def floats_per_point(self) -> int:
        return self.encoded_features() + 3 * (self.terms + 1) * self.width + self.out_features  # (w, τ) temporaries

    def activation_shapes(self) -> list:
        layers = (self.hidden_layers + 1, self.terms)
        return [("amplitudes", layers), ("frequencies", layers), ("phases", layers)]

    def limits(self):
        return {**super().limits(), "terms": (1, 64), "omega": (1e-3, 1e4)}


class StafNetwork(MlpNetwork):
    config: StafConfig

    def activate(self, z, index):
        p = self.parameters
        waves = np.sin(z[..., None] * p["frequencies"][index] + p["phases"][index])
        return waves @ p["amplitudes"][index]


__all__ = ["StafConfig", "StafNetwork"]
