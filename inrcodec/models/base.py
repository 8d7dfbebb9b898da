"""What every coordinate network in the codec shares: the grid it is evaluated on and its interface.

A model maps coordinates in [-1, 1]^d to signal values. It is always evaluated through a ``Grid``:
a full Cartesian grid (fitting, decoding in tiles) or a set of points picked from one (mini-batches).
Models whose first layer is separable across axes (SL²A) use the grid to evaluate that layer once
per distinct coordinate per axis instead of once per point.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch
from torch import nn

from ..errors import LimitError


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


@dataclass(frozen=True)
class ModelConfig:
    """Base of the frozen per-architecture configs: the single source of truth for a model's shape.

    Every field is a non-negative int, written to the bitstream in declaration order.
    """

    in_features: int
    out_features: int

    def parameter_count(self) -> int:
        raise NotImplementedError

    def limits(self) -> dict[str, tuple[int, int]]:
        """Inclusive (min, max) of each field; the decoder checks them before it allocates."""
        return {"in_features": (1, 3), "out_features": (1, 4)}

    def validate(self, max_parameters: int) -> None:
        limits = self.limits()
        for field in fields(self):
            value = getattr(self, field.name)
            low, high = limits[field.name]
            if not low <= value <= high:
                raise LimitError(f"model field {field.name}={value} is outside [{low}, {high}]")
        count = self.parameter_count()
        if count > max_parameters:
            raise LimitError(f"model has {count} parameters, more than the limit {max_parameters}")


class CoordinateNetwork(nn.Module):
    """Base class: ``model(grid)`` evaluates the network on a ``Grid``."""

    config: ModelConfig

    def forward(self, grid: Grid) -> torch.Tensor:
        out = self.forward_points(grid.points())
        return out.reshape(grid.output_shape(self.config.out_features))

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        """Evaluate at ``(N, in_features)`` coordinates; returns ``(N, out_features)``."""
        raise NotImplementedError

    def banded_parameters(self) -> dict[str, int]:
        """Parameters whose last axis is a frequency/degree axis, coded in bands: name -> length."""
        return {}
