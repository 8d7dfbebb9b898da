"""SL²A-INR (Heidari et al., ICCV 2025): one layer of learnable Chebyshev activations, then a ReLU
MLP whose every layer is modulated by that layer's output.

    ψ(x)_o = LayerNorm_o( Σ_i Σ_{k=0..D} a[i, o, k] · T_k(tanh x_i) )          (learnable activations)
    z = ψ;  z = ReLU(W_l (z ⊙ ψ) + b_l) for each hidden layer;  y = W_out (z ⊙ ψ) + b_out   (fusion)

``W_l`` is dense or low rank (``W = L·R``). Because the pre-LayerNorm sum is separable over the input
axes, on a grid it is computed from one table per axis (``n_i × out``) and broadcast-added: the
"grid fast path", which removes the Chebyshev cost from the per-point work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import ModelConfig, Network, Ops, layer_norm, linear, linear_shapes, relu


@dataclass(frozen=True)
class Sl2aConfig(ModelConfig):
    """Shape of an SL²A network. ``rank == 0`` means dense hidden layers."""

    width: int = 64
    degree: int = 128
    hidden_layers: int = 2
    rank: int = 0

    def parameter_shapes(self):
        w = self.width
        shapes = [("activation.coefficients", (self.in_features, w, self.degree + 1)),
                  ("activation.norm.weight", (w,)), ("activation.norm.bias", (w,))]
        for i in range(self.hidden_layers):
            if self.rank:
                shapes += linear_shapes(f"hidden.{i}.down", w, self.rank, bias=False) + linear_shapes(f"hidden.{i}.up", self.rank, w)
            else:
                shapes += linear_shapes(f"hidden.{i}", w, w)
        return shapes + linear_shapes("output", w, self.out_features)

    def banded_parameters(self) -> dict[str, int]:
        return {"activation.coefficients": self.degree + 1}

    def point_ops(self) -> Ops:
        w = self.width
        psi = Ops(elementwise=self.in_features * w + 3 * w)  # the per-axis terms added, LayerNorm
        layer = Ops(2 * w * self.rank, elementwise=3 * w + self.rank) if self.rank else Ops(w * w, elementwise=3 * w)
        output = Ops(w * self.out_features, elementwise=w + self.out_features)
        return psi + self.hidden_layers * layer + output  # each layer: ⊙ψ, matmul output(s), ReLU

    def axis_ops(self) -> Ops:
        terms = self.degree + 1  # tanh, acos, k·acos t and its cos for each k, projected to width
        return Ops(terms * self.width, elementwise=terms, transcendental=2 + terms)

    def floats_per_point(self) -> int:
        return 5 * self.width + self.rank + self.out_features  # sum, ψ, z, z⊙ψ, layer output

    def limits(self) -> dict[str, tuple[int, int]]:
        return {
            **super().limits(),
            "width": (1, 1024),
            "degree": (0, 1024),
            "hidden_layers": (0, 16),
            "rank": (0, self.width),
        }


def chebyshev_basis(t: np.ndarray, degree: int) -> np.ndarray:
    """``T_k(t)`` for k = 0..degree, as ``cos(k·acos t)``; returns ``(*t.shape, degree + 1)``."""
    k = np.arange(degree + 1, dtype=t.dtype)
    return np.cos(np.arccos(t)[..., None] * k)


class Sl2aNetwork(Network):
    """The normative SL²A forward pass (the grid fast path on grids)."""

    config: Sl2aConfig

    def axis_table(self, axis: int, coords: np.ndarray) -> np.ndarray:
        """Contribution of input ``axis`` at 1-D ``coords`` (n,): ``(n, width)`` before LayerNorm."""
        basis = chebyshev_basis(np.tanh(coords), self.config.degree)
        return basis @ self.parameters["activation.coefficients"][axis].T

    def normalized(self, total: np.ndarray) -> np.ndarray:
        p = self.parameters
        return layer_norm(total, p["activation.norm.weight"], p["activation.norm.bias"])

    def fuse(self, psi: np.ndarray) -> np.ndarray:
        z = psi
        for i in range(self.config.hidden_layers):
            name = f"hidden.{i}"
            if self.config.rank:
                z = relu(linear(linear(z * psi, self.parameters, f"{name}.down"), self.parameters, f"{name}.up"))
            else:
                z = relu(linear(z * psi, self.parameters, name))
        return linear(z * psi, self.parameters, "output")

    def on_grid(self, axes):
        d = len(axes)
        total = 0
        for i, axis in enumerate(axes):  # table i broadcast along every other axis
            table = self.axis_table(i, axis)
            shape = [1] * d + [table.shape[-1]]
            shape[i] = table.shape[0]
            total = total + table.reshape(shape)
        return self.fuse(self.normalized(total))

    def at_indices(self, axes, index):
        total = sum(self.axis_table(i, axis)[index[:, i]] for i, axis in enumerate(axes))
        return self.fuse(self.normalized(total))

    def on_points(self, points):
        basis = chebyshev_basis(np.tanh(points), self.config.degree)  # (N, in, D+1)
        total = np.einsum("nik,iok->no", basis, self.parameters["activation.coefficients"])
        return self.fuse(self.normalized(total))
