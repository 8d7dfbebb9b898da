"""The trainable (PyTorch) side of every coordinate network: the grid it is evaluated on while it is
fitted, and the interface the training loop drives. The normative forward passes the decoder runs
are the NumPy ``Network`` classes beside each config (``models/base.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Grid:
    """Coordinates ``axes[i]`` (shape ``(n_i,)``) of a Cartesian grid, optionally a subset of its points.

    Without ``index`` the grid stands for all ``n_0 × … × n_{d-1}`` points and a model returns
    ``(n_0, …, n_{d-1}, out)``. With ``index`` (long, ``(N, d)``; column i indexes ``axes[i]``) it
    stands for those N points only and a model returns ``(N, out)``.
    """

    axes: tuple[torch.Tensor, ...]
    index: torch.Tensor | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(int(a.shape[0]) for a in self.axes)

    def points(self) -> torch.Tensor:
        """The grid's points as a ``(N, d)`` tensor, in row-major order when there is no index."""
        if self.index is not None:
            return torch.stack([axis[self.index[:, i]] for i, axis in enumerate(self.axes)], dim=-1)
        mesh = torch.meshgrid(*self.axes, indexing="ij")
        return torch.stack(mesh, dim=-1).reshape(-1, len(self.axes))

    def output_shape(self, out_features: int) -> tuple[int, ...]:
        if self.index is not None:
            return (int(self.index.shape[0]), out_features)
        return (*self.shape, out_features)


class CoordinateNetwork(nn.Module):
    """Base class: ``model(grid)`` evaluates the network on a ``Grid``."""

    config: ModelConfig

    def forward(self, grid: Grid) -> torch.Tensor:
        out = self.forward_points(grid.points())
        return out.reshape(grid.output_shape(self.config.out_features))

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        """Evaluate at ``(N, in_features)`` coordinates; returns ``(N, out_features)``."""
        raise NotImplementedError

