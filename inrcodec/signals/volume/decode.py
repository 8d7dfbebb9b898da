"""Volumes as the decoder sees them: a 3-D shape coded as an occupancy field (logit > 0 inside),
rendered on any N0×N1×N2 grid coarse to fine, from which marching cubes gives a mesh in the source's
coordinates.

The network sees normalized coordinates in [-1, 1]³; the header records, per axis, the affine map
back to the source (``source = offset + half · u``): a mesh's bounding box centred with its longest
side 1.8 (FORMAT.md, *Volumes*), or an occupancy grid's voxel indices. Reading meshes and grids lives in
``io``; the fitting objective in ``encode``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ...errors import BitstreamError, InputError, LimitError
from ...models import ModelConfig, Network
from ...models.base import Ops
from ...render import OUTPUT_OPS, DecodeLimits, RenderPlan, cell_centres, plan_render, render_tiles
from ..base import SignalKind, SignalType

MAX_VOLUME_SIDE = 4096
LATTICE_STRIDE = 4  # coarse-to-fine rendering: the network is first evaluated every 4th sample ...
SETTLED_MARGIN = 8.0  # ... and a lattice cell whose corners' logits share a sign with |logit| ≥ 8 is filled
INTERPOLATION_OPS = Ops(elementwise=12)  # per sample: three linear interpolations and the unsettled test
COARSE_TO_FINE_FROM = 32  # grids with every side above this render coarse to fine; smaller ones exactly
DEFAULT_MESH_SIDE = 128  # a mesh's default decoding grid (--size N changes it, at encode or decode)
FIELD_BYTES_PER_SAMPLE = 16  # float32 logits, the interpolation's and marching cubes' working arrays


@dataclass(frozen=True)
class VolumeGeometry:
    """What a volume bitstream records: the default grid (samples along x, y, z) and, per axis, the
    map from the network's [-1, 1] to source coordinates."""

    size_x: int
    size_y: int
    size_z: int
    offset_x: float
    offset_y: float
    offset_z: float
    half_x: float
    half_y: float
    half_z: float

    @property
    def sides(self) -> tuple[int, int, int]:
        return (self.size_x, self.size_y, self.size_z)

    @property
    def offsets(self) -> np.ndarray:
        return np.array([self.offset_x, self.offset_y, self.offset_z])

    @property
    def halves(self) -> np.ndarray:
        return np.array([self.half_x, self.half_y, self.half_z])

    def validate(self) -> None:
        if not all(1 <= side <= MAX_VOLUME_SIDE for side in self.sides):
            raise LimitError(f"volume grid {'x'.join(map(str, self.sides))} is outside 1..{MAX_VOLUME_SIDE} per side")
        if not all(math.isfinite(v) for v in (*self.offsets, *self.halves)) or not all(self.halves > 0):
            raise BitstreamError("corrupt bitstream: the volume's coordinate map is not finite and positive")


@dataclass(frozen=True)
class Volume:
    """A decoded volume: the network's logits on a grid (> 0 inside) and the map to source
    coordinates."""

    logits: np.ndarray  # (nx, ny, nz) float32
    geometry: VolumeGeometry

    @property
    def occupancy(self) -> np.ndarray:
        return self.logits > 0

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """``(vertices (V, 3) float64 in source coordinates, faces (F, 3) int64)`` of the surface
        logit = 0, by marching cubes (none if the grid holds no surface); computed once."""
        return self._mesh

    @functools.cached_property
    def _mesh(self) -> tuple[np.ndarray, np.ndarray]:
        from skimage.measure import marching_cubes

        field = np.nan_to_num(self.logits, nan=-1.0)  # a hostile file's NaN counts as outside
        if not (field.max() > 0 > field.min()):
            return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)
        vertices, faces, _, _ = marching_cubes(field, level=0.0, allow_degenerate=False)
        sides = np.array(field.shape)
        normalized = (2 * vertices.astype(np.float64) + 1) / sides - 1  # voxel index -> cell centre in [-1, 1]
        # marching cubes orients faces for a field rising outward; ours rises inward
        return self.geometry.offsets + self.geometry.halves * normalized, faces[:, ::-1].astype(np.int64)


def _lattice_sides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Lattice points per axis: samples 0, 4, 8, … up to the first at or past the last sample (the
    network is evaluated there even if it lies just outside the grid, so the lattice is uniform)."""
    return tuple(-(-(n - 1) // LATTICE_STRIDE) + 1 for n in shape)


def _touching_cells(n: int, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``n`` samples along an axis, its lattice cell, and the cell before when the
    sample lies on the lattice plane between the two."""
    samples = np.arange(n)
    low = np.minimum(samples // LATTICE_STRIDE, cells - 1)
    on_plane = (samples % LATTICE_STRIDE == 0) & (samples > 0)
    return low, np.where(on_plane, samples // LATTICE_STRIDE - 1, low)


def _unsettled_samples(corners: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Samples of the grid in (or on the boundary of) a lattice cell that is not settled — settled
    means all 8 corner logits have one sign and are at least ``SETTLED_MARGIN`` from 0 — by an OR
    over the cells each sample touches, one axis at a time."""
    views = [corners[tuple(slice(o, o + m - 1) for o, m in zip(offsets, corners.shape))]
             for offsets in np.ndindex(2, 2, 2)]
    settled = (np.minimum.reduce(views) >= SETTLED_MARGIN) | (np.maximum.reduce(views) <= -SETTLED_MARGIN)
    active = ~settled
    for axis, n in enumerate(shape):
        low, high = _touching_cells(n, active.shape[axis])
        active = np.take(active, low, axis=axis) | np.take(active, high, axis=axis)
    return active


def _interpolate_lattice(corners: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Every sample of a grid of ``shape`` by linear interpolation between the lattice points
    around it along each axis in turn (weights (s mod 4)/4): trilinear in the lattice cells."""
    values = corners
    for axis, n in enumerate(shape):
        samples = np.arange(n)
        low = np.minimum(samples // LATTICE_STRIDE, corners.shape[axis] - 2)
        weight = ((samples - LATTICE_STRIDE * low) / LATTICE_STRIDE).astype(corners.dtype)
        weight = weight.reshape([-1 if i == axis else 1 for i in range(len(shape))])
        values = np.take(values, low, axis) * (1 - weight) + np.take(values, low + 1, axis) * weight
    return np.ascontiguousarray(values)


def volume_shape(geometry: VolumeGeometry, scale: float | None, size: tuple[int, ...] | None) -> tuple[int, int, int]:
    """Samples along x, y, z of a rendering: the coded grid, ``scale`` times it, or ``size`` (one
    number for a cube of that side scaled to the coded grid's proportions, or three)."""
    if scale is not None and size is not None:
        raise InputError("give either a scale or a size, not both")
    sides = geometry.sides
    if size is not None:
        if len(size) == 3:
            shape = tuple(int(n) for n in size)
        elif len(size) == 1:
            shape = tuple(max(1, round(size[0] * n / max(sides))) for n in sides)
        else:
            raise InputError(f"a volume's size is N (the longest side) or three sides, not {size}")
        if min(shape) < 1:
            raise InputError(f"output size {'x'.join(map(str, shape))} must be positive")
        return shape
    if scale is not None:
        if not (math.isfinite(scale) and scale > 0):
            raise InputError(f"scale must be a positive number, not {scale}")
        return tuple(max(1, round(n * scale)) for n in sides)
    return sides


class VolumeType(SignalType):
    """Shapes: 3-D networks with one output, the occupancy logit."""

    kind = SignalKind.VOLUME
    name = "volume"
    geometry_class = VolumeGeometry

    def sides(self, geometry: VolumeGeometry) -> tuple[int, int, int]:
        return geometry.sides

    def channels(self, geometry: VolumeGeometry) -> int:
        return 1

    def check_model(self, geometry: VolumeGeometry, config: ModelConfig) -> None:
        if config.in_features != 3 or config.out_features != 1 or config.signal_shape() is not None:
            raise BitstreamError(f"corrupt bitstream: a {config.in_features}-D model with {config.out_features} "
                                 "outputs cannot render a volume")

    def output_shape(self, geometry: VolumeGeometry, scale, size) -> tuple[int, int, int]:
        return volume_shape(geometry, scale, size)

    def render_plan(self, config: ModelConfig, geometry: VolumeGeometry, shape: tuple[int, ...]) -> RenderPlan:
        """The exact render's plan, or for grids rendered coarse to fine the lattice's work and the
        interpolation: the samples near the surface are counted once the lattice is known."""
        full = plan_render(config, shape, math.prod(shape) * FIELD_BYTES_PER_SAMPLE)
        if min(shape) <= COARSE_TO_FINE_FROM:
            return full
        lattice = plan_render(config, _lattice_sides(shape), 0)
        return RenderPlan(shape, full.tile, lattice.ops + math.prod(shape) * INTERPOLATION_OPS, full.memory_bytes)

    def render(self, network: Network, geometry: VolumeGeometry, plan: RenderPlan,
               limits: DecodeLimits = DecodeLimits(), side_data=None) -> Volume:
        """The logits on the plan's grid, coarse to fine: exactly on a lattice of every
        ``LATTICE_STRIDE``-th sample, then exactly at every sample of the lattice cells that might
        hold surface — corners of both signs, or one within ``SETTLED_MARGIN`` of 0 — and by
        trilinear interpolation of the corners elsewhere (FORMAT.md, *Volumes*). Most of a grid is
        far from the surface, so a 256³ decode evaluates the network at a few percent of its
        samples; the limits are checked again once the lattice says how many."""
        dtype = next(iter(network.parameters.values())).dtype  # float32 normatively; float64: a reference
        axes = tuple(cell_centres(n, dtype) for n in plan.shape)
        if min(plan.shape) <= COARSE_TO_FINE_FROM:
            logits = np.empty(plan.shape, dtype=dtype)
            for slices, tile in render_tiles(network, axes, plan):
                logits[slices] = tile[..., 0]
            return Volume(logits, geometry)
        sides = _lattice_sides(plan.shape)
        lattice_axes = tuple((axis[0] + 2 * LATTICE_STRIDE / n * np.arange(m, dtype=dtype)).astype(dtype)
                             for axis, n, m in zip(axes, plan.shape, sides))
        corners = np.empty(sides, dtype=dtype)
        for slices, tile in render_tiles(network, lattice_axes, plan_render(network.config, sides, 0)):
            corners[slices] = tile[..., 0]
        corners = np.nan_to_num(corners, nan=0.0, posinf=0.0, neginf=0.0)  # a hostile file's NaN is never settled
        logits = _interpolate_lattice(corners, plan.shape)
        active = _unsettled_samples(corners, plan.shape)
        count = int(np.count_nonzero(active))
        fine_ops = count * (network.config.point_ops() + OUTPUT_OPS)
        if plan.macs + fine_ops.macs > limits.max_macs:
            raise LimitError(f"decoding this file at {plan.size_label} needs {plan.macs + fine_ops.macs:.3g} "
                             f"multiply-adds ({count} samples near its surface), over the limit of "
                             f"{limits.max_macs:.3g} (raise it with --max-macs if you trust the file and can wait)")
        flat = np.flatnonzero(active)
        batch = max(1, math.prod(plan.tile))
        for start in range(0, len(flat), batch):
            chosen = flat[start:start + batch]
            index = np.stack(np.unravel_index(chosen, plan.shape), axis=-1)
            logits.reshape(-1)[chosen] = network.at_indices(axes, index)[:, 0]
        return Volume(logits, geometry)


VOLUME = VolumeType()
