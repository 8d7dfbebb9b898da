"""Volumes: a 3-D shape coded as an occupancy field (logit > 0 inside), fitted on points and rendered
on any N0×N1×N2 grid, from which marching cubes gives a mesh in the source's coordinates.

The network sees normalized coordinates in [-1, 1]³; the header records, per axis, the affine map
back to the source (``source = offset + half · u``): a mesh's bounding box centred with its longest
side 1.8 (DESIGN §5), or an occupancy grid's voxel indices. Reading meshes and grids (trimesh,
NumPy files) lives in ``inrcodec.shapes``; the inside test of meshes (libigl's fast winding numbers,
so scans with holes work) is imported only by the encoder.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..errors import BitstreamError, InputError, LimitError
from ..models import CoordinateNetwork, Grid, ModelConfig
from ..models.base import Ops
from ..presets import VOLUME_BATCH_SAMPLES, VOLUME_PRESETS, volume_config
from ..render import OUTPUT_OPS, DecodeLimits, RenderPlan, plan_render, render_tiles
from .base import SignalKind, SignalType, cell_centres

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
class VolumeSignal:
    """A shape to code: its geometry and, in normalized coordinates, an inside test and a way to
    draw points on (or next to) its surface. ``voxel`` is the spacing of the source's own grid in
    normalized units (0 for meshes), below which training points are not spread; ``distance`` is
    the unsigned distance to the surface where the source defines one exactly (meshes): exact up to
    its argument ``within``, ``within`` beyond."""

    geometry: VolumeGeometry
    inside: Callable[[np.ndarray], np.ndarray]  # (N, 3) float64 -> (N,) bool
    surface_points: Callable[[int, np.random.Generator], np.ndarray]  # count, rng -> (count, 3)
    voxel: float = 0.0
    distance: Callable[..., np.ndarray] | None = None  # (N, 3) float64, within -> (N,) float64, ≤ within
    kind = SignalKind.VOLUME

    def occupancy(self, sides: tuple[int, int, int]) -> np.ndarray:
        """The inside test at the cell centres of a grid of ``sides``, as a bool array."""
        axes = [cell_centres(n, dtype=torch.float64).numpy() for n in sides]
        out = np.empty(sides, dtype=bool)
        y, z = np.meshgrid(axes[1], axes[2], indexing="ij")
        points = np.stack([np.zeros(y.size), y.ravel(), z.ravel()], axis=1)
        for i, x in enumerate(axes[0]):  # one slab at a time: bounded memory at any size
            points[:, 0] = x
            out[i] = self.inside(points).reshape(sides[1], sides[2])
        return out


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


def point_grid(points: torch.Tensor) -> Grid:
    """Scattered points as a ``Grid`` (each point its own coordinate per axis), so every network
    evaluates them through its usual interface."""
    index = torch.arange(points.shape[0], device=points.device)
    return Grid(tuple(points[:, i].contiguous() for i in range(points.shape[1])),
                torch.stack([index] * points.shape[1], dim=-1))


class PointObjective:
    """Binary cross-entropy of a network's logits against the occupancy of points: half drawn next
    to the surface (Gaussian offsets of two widths, where the decision boundary is learnt), half
    uniform over the cube. A pool (16 points per sample of the default grid, 64 K to 1 M) is
    labelled at once and batches are drawn from it; every ``POOL_STEPS`` batches the pool is drawn
    afresh, so that the fit sees millions of distinct points in empty space (with one fixed pool, a
    thin shape such as the dragon grew "floaters" — occupied blobs far from any surface — in the
    gaps between its uniform points).

    Where the source gives distances (meshes), a point's label is soft: sigmoid(±d / ``SOFTNESS``),
    + inside. Its best logit is then the ramp ±d / ``SOFTNESS``, whose zero is the surface, instead
    of a step the network only approximates: at level 5 the armadillo's file shrank from 12.8 to
    11.5 KB while its IoU at 256³ rose from 0.9869 to 0.9876 (``benchmarks/RESULTS.md``, *Shapes*).
    Grids keep hard labels: their truth is itself a step between voxels."""

    POOL_PER_SAMPLE = 16  # pool points per sample of the default grid, between these bounds:
    MIN_POOL, MAX_POOL = 1 << 16, 1 << 20
    POOL_STEPS = 1000
    EVALUATION_SHARE = 16  # the fixed evaluation set is this fraction of the pool
    SURFACE_WIDTHS = (0.02, 0.005)  # std of the offsets from the surface, normalized units
    SOFTNESS = 0.002  # soft labels' width, normalized units (a quarter of a 256³ grid's voxel)
    SATURATION = 20  # labels of points this many widths from the surface are all sigmoid(±20) (1 − 2e-9)
    samples = 8192  # the rate term's unit: λ is cross-entropy per kilobyte

    def __init__(self, signal: VolumeSignal, batch_samples: int, generator: torch.Generator, seed: int):
        self.signal, self.rng = signal, np.random.default_rng(seed)
        self.batch_samples, self.generator = batch_samples, generator
        samples = math.prod(signal.geometry.sides)
        self.pool_size = min(self.MAX_POOL, max(self.MIN_POOL, self.POOL_PER_SAMPLE * samples))
        self.points, self.labels = self._draw_pool()
        if not 0 < float((self.labels > 0.5).float().mean()) < 1:
            raise InputError("the shape has no inside (or no outside) in its bounding box: nothing to code")
        evaluation = torch.randperm(self.pool_size, generator=generator,
                                    device=generator.device)[:self.pool_size // self.EVALUATION_SHARE]
        self.evaluation = (point_grid(self.points[evaluation]), self.labels[evaluation])
        self.batches = 0

    def _draw_pool(self) -> tuple[torch.Tensor, torch.Tensor]:
        near = self.pool_size // 2
        widths = np.repeat(self.SURFACE_WIDTHS, [near - near // 2, near // 2])
        offsets = self.rng.normal(size=(near, 3)) * np.maximum(widths, self.signal.voxel / 2)[:, None]
        pool = np.concatenate([self.signal.surface_points(near, self.rng) + offsets,
                               self.rng.uniform(-1, 1, (self.pool_size - near, 3))])
        pool = np.clip(pool, -1, 1)
        inside = self.signal.inside(pool)
        if self.signal.distance is None:
            labels = torch.from_numpy(inside.astype(np.float32))
        else:
            depth = np.where(inside, 1.0, -1.0) * self.signal.distance(pool, self.SATURATION * self.SOFTNESS)
            labels = torch.sigmoid(torch.from_numpy(depth / self.SOFTNESS)).float()
        device = self.generator.device
        return torch.from_numpy(pool.astype(np.float32)).to(device), labels.to(device)[:, None]

    def loss(self, model: CoordinateNetwork) -> torch.Tensor:
        if self.batches and self.batches % self.POOL_STEPS == 0:
            self.points, self.labels = self._draw_pool()
        self.batches += 1
        picks = torch.randint(0, self.pool_size, (self.batch_samples,), generator=self.generator,
                              device=self.generator.device)
        return _cross_entropy(model(point_grid(self.points[picks])), self.labels[picks])

    @torch.no_grad()
    def distortion(self, model: CoordinateNetwork) -> float:
        """Cross-entropy on a fixed set of pool points (the step search compares on it)."""
        grid, labels = self.evaluation
        return float(_cross_entropy(model(grid), labels))

    @torch.no_grad()
    def fit_measure(self, model: CoordinateNetwork) -> dict:
        """Share of the fixed evaluation points the float fit puts on the right side of the surface."""
        grid, labels = self.evaluation
        return {"accuracy": float(((model(grid) > 0) == (labels > 0.5)).float().mean())}

    @staticmethod
    def describe(loss: float) -> dict:
        return {"cross_entropy": f"{loss:.4f}"}


def _cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two occupancy grids (1 when both are empty)."""
    union = np.count_nonzero(a | b)
    return 1.0 if union == 0 else float(np.count_nonzero(a & b) / union)


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
    """Shapes: 3-D networks with one output, the occupancy logit; IoU is the measure."""

    kind = SignalKind.VOLUME
    name = "volume"
    geometry_class = VolumeGeometry

    default_model = "sl2a"  # the latent-grid model codes images only

    def default_steps(self, level: int) -> int:
        return VOLUME_PRESETS[level - 1].steps

    def model_config(self, model: str, level: int, geometry: VolumeGeometry) -> ModelConfig:
        return volume_config(model, level, max(geometry.sides))

    def rate_weight(self, model: str, level: int) -> float:
        return VOLUME_PRESETS[level - 1].rate_weight

    def objective(self, signal: VolumeSignal, generator: torch.Generator, known=None) -> PointObjective:
        if known is not None:
            raise InputError("a mask of known samples applies to images only")
        return PointObjective(signal, VOLUME_BATCH_SAMPLES, generator, seed=generator.initial_seed())

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

    @torch.no_grad()
    def render(self, network: CoordinateNetwork, geometry: VolumeGeometry, plan: RenderPlan,
               limits: DecodeLimits = DecodeLimits(), side_data=None) -> Volume:
        """The logits on the plan's grid, coarse to fine: exactly on a lattice of every
        ``LATTICE_STRIDE``-th sample, then exactly at every sample of the lattice cells that might
        hold surface — corners of both signs, or one within ``SETTLED_MARGIN`` of 0 — and by
        trilinear interpolation of the corners elsewhere (FORMAT.md, *Volumes*). Most of a grid is
        far from the surface, so a 256³ decode evaluates the network at a few percent of its
        samples; the limits are checked again once the lattice says how many."""
        weight = next(network.parameters())  # float32 normatively; a float64 copy renders a reference
        dtype = np.float32 if weight.dtype == torch.float32 else np.float64
        axes = tuple(cell_centres(n, weight.device, weight.dtype) for n in plan.shape)
        if min(plan.shape) <= COARSE_TO_FINE_FROM:
            logits = np.empty(plan.shape, dtype=dtype)
            for slices, tile in render_tiles(network, axes, plan):
                logits[slices] = tile[..., 0].cpu().numpy()
            return Volume(logits, geometry)
        sides = _lattice_sides(plan.shape)
        lattice_axes = tuple(cell_centres(n, weight.device, weight.dtype)[:1] + 2 * LATTICE_STRIDE / n *
                             torch.arange(m, device=weight.device, dtype=weight.dtype)
                             for n, m in zip(plan.shape, sides))
        lattice_plan = plan_render(network.config, sides, 0)
        corners = np.empty(sides, dtype=dtype)
        for slices, tile in render_tiles(network, lattice_axes, lattice_plan):
            corners[slices] = tile[..., 0].cpu().numpy()
        corners = np.nan_to_num(corners, nan=0.0, posinf=0.0, neginf=0.0)  # a hostile file's NaN is never settled
        fine = torch.nn.functional.interpolate(torch.from_numpy(corners)[None, None],
                                               size=tuple(LATTICE_STRIDE * (m - 1) + 1 for m in sides),
                                               mode="trilinear", align_corners=True)[0, 0]
        logits = np.ascontiguousarray(fine[tuple(slice(0, n) for n in plan.shape)].numpy())
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
            index = torch.from_numpy(np.stack(np.unravel_index(chosen, plan.shape), axis=-1)).to(weight.device)
            values = network(Grid(axes, index))[:, 0]
            logits.reshape(-1)[chosen] = values.cpu().numpy()
        return Volume(logits, geometry)

    def measure(self, signal: VolumeSignal, decoded: Volume, known=None) -> dict:
        return {"iou": iou(signal.occupancy(decoded.logits.shape), decoded.occupancy)}


VOLUME = VolumeType()
