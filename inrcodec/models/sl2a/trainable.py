"""The trainable (PyTorch) twin of SL²A-INR (``network.py``: the model, its config and its normative
forward), with the authors' initialisation."""

from __future__ import annotations

import torch
from torch import nn

from ..trainable_base import CoordinateNetwork, Grid
from .network import Sl2aConfig


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
