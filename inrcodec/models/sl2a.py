"""SL²A-INR (Heidari et al., ICCV 2025): one layer of learnable Chebyshev activations, then a ReLU
MLP whose every layer is modulated by that layer's output.

    ψ(x)_o = LayerNorm_o( Σ_i Σ_{k=0..D} a[i, o, k] · T_k(tanh x_i) )          (learnable activations)
    z = ψ;  z = ReLU(W_l (z ⊙ ψ) + b_l) for each hidden layer;  y = W_out (z ⊙ ψ) + b_out   (fusion)

``W_l`` is dense or low rank (``W = L·R``). Because the pre-LayerNorm sum is separable over the input
axes, on a grid it is computed from one table per axis (``n_i × out``) and broadcast-added: the
"grid fast path" (DESIGN §2), which removes the Chebyshev cost from the per-point work.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .base import CoordinateNetwork, Grid, ModelConfig, Ops


@dataclass(frozen=True)
class Sl2aConfig(ModelConfig):
    """Shape of an SL²A network. ``rank == 0`` means dense hidden layers."""

    width: int = 64
    degree: int = 128
    hidden_layers: int = 2
    rank: int = 0

    def parameter_count(self) -> int:
        activation = self.in_features * self.width * (self.degree + 1) + 2 * self.width
        if self.rank:
            hidden = self.hidden_layers * (2 * self.width * self.rank + self.width)
        else:
            hidden = self.hidden_layers * (self.width * self.width + self.width)
        return activation + hidden + self.width * self.out_features + self.out_features

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


def chebyshev_basis(t: torch.Tensor, degree: int) -> torch.Tensor:
    """``T_k(t)`` for k = 0..degree, as ``cos(k·acos t)``; returns ``(*t.shape, degree + 1)``."""
    k = torch.arange(degree + 1, device=t.device, dtype=t.dtype)
    return torch.cos(torch.acos(t).unsqueeze(-1) * k)


class ChebyshevActivation(nn.Module):
    """The learnable-activation block: coefficients ``(in, out, D+1)``, then LayerNorm(out)."""

    def __init__(self, in_features: int, out_features: int, degree: int):
        super().__init__()
        self.degree = degree
        self.coefficients = nn.Parameter(torch.empty(in_features, out_features, degree + 1))
        nn.init.xavier_uniform_(self.coefficients)  # the authors' init, over the whole 3-D tensor
        self.norm = nn.LayerNorm(out_features)

    def axis_table(self, axis: int, coords: torch.Tensor) -> torch.Tensor:
        """Contribution of input ``axis`` at 1-D ``coords`` (n,): ``(n, out)`` before LayerNorm."""
        basis = chebyshev_basis(torch.tanh(coords), self.degree)
        return basis @ self.coefficients[axis].T

    def forward_grid(self, grid: Grid) -> torch.Tensor:
        tables = [self.axis_table(i, axis) for i, axis in enumerate(grid.axes)]
        if grid.index is not None:
            total = sum(table[grid.index[:, i]] for i, table in enumerate(tables))
        else:
            d = len(tables)
            total = 0
            for i, table in enumerate(tables):  # broadcast table i along every other axis
                shape = [1] * d + [table.shape[-1]]
                shape[i] = table.shape[0]
                total = total + table.reshape(shape)
        return self.norm(total)

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        basis = chebyshev_basis(torch.tanh(coords), self.degree)  # (N, in, D+1)
        return self.norm(torch.einsum("nik,iok->no", basis, self.coefficients))


class LowRankLinear(nn.Module):
    """``y = L(R x) + b`` with ``R: width→rank`` and ``L: rank→width``."""

    def __init__(self, features: int, rank: int):
        super().__init__()
        self.down = nn.Linear(features, rank, bias=False)
        self.up = nn.Linear(rank, features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.down(x))


class Sl2a(CoordinateNetwork):
    def __init__(self, config: Sl2aConfig):
        super().__init__()
        self.config = config
        width = config.width
        self.activation = ChebyshevActivation(config.in_features, width, config.degree)
        self.hidden = nn.ModuleList(
            LowRankLinear(width, config.rank) if config.rank else nn.Linear(width, width)
            for _ in range(config.hidden_layers)
        )
        self.output = nn.Linear(width, config.out_features)

    def fuse(self, psi: torch.Tensor) -> torch.Tensor:
        z = psi
        for layer in self.hidden:
            z = torch.relu(layer(z * psi))
        return self.output(z * psi)

    def forward(self, grid: Grid) -> torch.Tensor:
        return self.fuse(self.activation.forward_grid(grid))

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        return self.fuse(self.activation.forward_points(coords))

    def banded_parameters(self) -> dict[str, int]:
        return {"activation.coefficients": self.config.degree + 1}
