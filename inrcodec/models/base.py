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

# What one elementwise op (add, multiply, ReLU, LayerNorm's passes) and one transcendental (sin, exp,
# tanh, acos, cos) cost on a CPU, in multiply-adds inside a matrix product: fitted to measured render
# times of every model family (benchmarks/work.py), so that a count of MAC equivalents is a time.
ELEMENTWISE_MACS = 48
TRANSCENDENTAL_MACS = 256


@dataclass(frozen=True)
class Ops:
    """Arithmetic of a network evaluation: multiply-adds of matrix products, elementwise ops and
    transcendental functions, each counted per output element. A matrix product's output also
    counts as elementwise: for narrow layers writing it costs more than its multiply-adds."""

    multiply_adds: int = 0
    elementwise: int = 0
    transcendental: int = 0

    def __add__(self, other: "Ops") -> "Ops":
        return Ops(self.multiply_adds + other.multiply_adds, self.elementwise + other.elementwise,
                   self.transcendental + other.transcendental)

    def __mul__(self, count: int) -> "Ops":
        return Ops(self.multiply_adds * count, self.elementwise * count, self.transcendental * count)

    __rmul__ = __mul__

    @property
    def macs(self) -> int:
        """The work in multiply-add equivalents (MACs)."""
        return (self.multiply_adds + ELEMENTWISE_MACS * self.elementwise
                + TRANSCENDENTAL_MACS * self.transcendental)


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

    def point_ops(self) -> Ops:
        """The arithmetic of evaluating the network at one point."""
        raise NotImplementedError

    def axis_ops(self) -> Ops:
        """The arithmetic per distinct coordinate along each axis of a grid, for first layers that
        are separable across axes (SL²A's grid fast path); none for other networks."""
        return Ops()

    def floats_per_point(self) -> int:
        """Activation floats alive at once per point at the peak of an evaluation: what a render
        tile costs in memory, so tiles shrink as networks widen."""
        raise NotImplementedError

    def decode_ops(self) -> Ops:
        """The arithmetic of decoding the file before rendering (entropy-decoding latents, say),
        whatever the output size; none for networks that are only weights."""
        return Ops()

    def decode_bytes(self) -> int:
        """Memory for that decoding, beyond the weights."""
        return 0

    def latent_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the entropy-coded latent grids, finest first (none for weight-only models)."""
        return []

    def signal_shape(self) -> tuple[int, ...] | None:
        """The sample grid this model is tied to (its latents cover exactly that image), or None
        for networks of coordinates alone: the bitstream checks it against the geometry."""
        return None

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
