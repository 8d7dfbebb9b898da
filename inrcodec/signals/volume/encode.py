"""Shapes as the encoder sees them: presets, the fitting objective (cross-entropy of occupancy on
points near the surface and in space) and IoU, the measure of a decode."""

from __future__ import annotations

import math

import numpy as np
import torch

from ...errors import InputError
from ...models import ModelConfig
from ...models.trainable_base import CoordinateNetwork, Grid
from ..encoding import SignalEncoding
from .decode import Volume, VolumeGeometry, VolumeType
from .io import VolumeSignal
from .presets import VOLUME_BATCH_SAMPLES, VOLUME_PRESETS, volume_config


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


class VolumeEncoding(VolumeType, SignalEncoding):
    default_model = "sl2a"  # the latent-grid model codes images only

    def default_steps(self, level: int, model: str) -> int:
        return VOLUME_PRESETS[level - 1].steps

    def model_config(self, model: str, level: int, geometry: VolumeGeometry) -> ModelConfig:
        return volume_config(model, level, max(geometry.sides))

    def rate_weight(self, model: str, level: int) -> float:
        return VOLUME_PRESETS[level - 1].rate_weight

    def objective(self, signal: VolumeSignal, generator: torch.Generator, known=None) -> PointObjective:
        if known is not None:
            raise InputError("a mask of known samples applies to images only")
        return PointObjective(signal, VOLUME_BATCH_SAMPLES, generator, seed=generator.initial_seed())

    def measure(self, signal: VolumeSignal, decoded: Volume, known=None) -> dict:
        return {"iou": iou(signal.occupancy(decoded.logits.shape), decoded.occupancy)}



VOLUME_ENCODING = VolumeEncoding()
