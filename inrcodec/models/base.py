"""What every coordinate network in the codec shares, on the decoder's side: its config (the single
source of truth for its shape, written to the header), the arithmetic of evaluating it, the layout of
its weights, and ``Network``, the normative forward pass in NumPy float32 that decoders run.

A model maps coordinates in [-1, 1]^d to signal values. It is evaluated on a Cartesian grid (given
by its axes: decoding in tiles) or on scattered points (shapes' fine samples, scenes' ray samples).
Models whose first layer is separable across axes (SL²A, the latent grids) use the grid to evaluate
that layer once per distinct coordinate per axis instead of once per point. The encoder trains a
PyTorch twin of each network (``trainable.py`` in each family's folder) whose parameters have the
names and shapes ``ModelConfig.parameter_shapes`` lists; the tests hold the two forwards together.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

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
class ModelConfig:
    """Base of the frozen per-architecture configs: the single source of truth for a model's shape.

    Every field is a non-negative int, written to the bitstream in declaration order.
    """

    in_features: int
    out_features: int

    def parameter_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """Every weight tensor's name and shape, in the bitstream's order (that of the trainable
        twin's ``named_parameters()``)."""
        raise NotImplementedError

    def parameter_count(self) -> int:
        return sum(int(np.prod(shape)) for _, shape in self.parameter_shapes())

    def banded_parameters(self) -> dict[str, int]:
        """Parameters whose last axis is a frequency/degree axis, coded in bands: name -> length."""
        return {}

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




Parameters = dict[str, np.ndarray]  # float32 weights by name (``ModelConfig.parameter_shapes``)


class Network:
    """The normative forward pass of a decoded network, in NumPy float32: ``on_grid`` evaluates it on
    every point of a Cartesian grid, ``on_points`` at scattered points. Subclasses implement
    ``on_points``, and ``on_grid`` where a separable first layer makes the grid cheaper."""

    def __init__(self, config: ModelConfig, parameters: Parameters):
        self.config, self.parameters = config, parameters

    def on_grid(self, axes: tuple[np.ndarray, ...]) -> np.ndarray:
        """Axes ``(n_i,)`` -> ``(n_0, …, n_{d-1}, out_features)``."""
        mesh = np.meshgrid(*axes, indexing="ij")
        points = np.stack(mesh, axis=-1).reshape(-1, len(axes))
        return self.on_points(points).reshape(*(len(axis) for axis in axes), self.config.out_features)

    def at_indices(self, axes: tuple[np.ndarray, ...], index: np.ndarray) -> np.ndarray:
        """At the points of the grid ``axes`` that ``index`` ``(N, d)`` picks (column i indexes
        ``axes[i]``) -> ``(N, out_features)``: a shape's samples near its surface."""
        return self.on_points(np.stack([axis[index[:, i]] for i, axis in enumerate(axes)], axis=-1))

    def on_points(self, points: np.ndarray) -> np.ndarray:
        """``(N, in_features)`` -> ``(N, out_features)``."""
        raise NotImplementedError


def linear(x: np.ndarray, parameters: Parameters, name: str) -> np.ndarray:
    """``x Wᵀ + b`` of the layer ``name`` (``name.weight``, and ``name.bias`` when it has one)."""
    out = x @ parameters[f"{name}.weight"].T
    bias = parameters.get(f"{name}.bias")
    return out if bias is None else out + bias


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """LayerNorm over the last axis (biased variance, as ``torch.nn.LayerNorm``)."""
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(eps)) * weight + bias


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, np.float32(0))


def linear_shapes(name: str, in_features: int, out_features: int, bias: bool = True) -> list:
    """``parameter_shapes`` entries of a linear layer (``torch.nn.Linear``'s names and order)."""
    return [(f"{name}.weight", (out_features, in_features))] + ([(f"{name}.bias", (out_features,))] if bias else [])
