"""Bounded rendering: a network evaluated on a Cartesian grid one tile at a time, with the work and
memory that implies known — and checked against limits — before any weight is decoded.

A bitstream of a few bytes may declare a 1024-wide network and any output size, so the decoder
never trusts it to be cheap: ``plan_render`` sizes tiles from the network's activation footprint
(wider networks get smaller tiles, so memory stays bounded at any legal width) and counts the
multiply-add equivalents (MACs) of the whole render; ``DecodeLimits.check`` refuses a plan over any
limit with a one-line error that names the limit and the option that raises it.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .errors import LimitError
from .models import ModelConfig, Network
from .models.base import Ops

FLOAT_BYTES = 4
ACTIVATION_BUDGET_BYTES = 8 << 20  # activations of one tile; sets the tile size (8 MB renders
# fastest here from width 8 to 1024: larger temporaries fall out of cache and into page faults)
OUTPUT_OPS = Ops(elementwise=8)  # per output value: offset, clamp, scale, round, cast, copy
# Decoding one file may take at most this much work by default: about 20 s on the 2-core CPU this
# project is measured on, for any legal network (benchmarks/work.py: 10 s per 2^39), and more than
# a 24-megapixel photograph needs at the default quality (6.8e11) or a 768×512 picture at ×4 (≈ 3e11).
DEFAULT_MAX_MACS = 1 << 40  # ≈ 1.1e12
DEFAULT_MAX_SAMPLES = 1 << 26  # 67 M output pixels (≈ 200 MB as RGB): a ×10 decode of a Kodak image
DEFAULT_MAX_MEMORY_BYTES = 2 << 30  # output array + one tile's activations + the weights
MAX_RENDER_THREADS = 4  # each holds a chunk of a scene's ray samples in memory (images render on one)


@dataclass(frozen=True)
class DecodeLimits:
    """What a decode may cost; a bitstream can declare anything, so these are checked first."""

    max_samples: int = DEFAULT_MAX_SAMPLES
    max_macs: int = DEFAULT_MAX_MACS
    max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES

    def check_samples(self, shape: tuple[int, ...]) -> None:
        if math.prod(shape) > self.max_samples:
            raise LimitError(f"output {'x'.join(map(str, reversed(shape)))} has more than "
                             f"{self.max_samples} pixels (raise the limit with --max-pixels if you mean it)")

    def check(self, plan: "RenderPlan") -> None:
        self.check_samples(plan.shape)
        if plan.macs > self.max_macs:
            raise LimitError(f"decoding this file at {plan.size_label} needs {plan.macs:.3g} multiply-adds, "
                             f"over the limit of {self.max_macs:.3g} (raise it with --max-macs if you "
                             "trust the file and can wait)")
        if plan.memory_bytes > self.max_memory_bytes:
            raise LimitError(f"decoding this file at {plan.size_label} needs about "
                             f"{plan.memory_bytes / 2**20:.0f} MB, over the limit of "
                             f"{self.max_memory_bytes / 2**20:.0f} MB (raise it with --max-memory)")


@dataclass(frozen=True)
class RenderPlan:
    """How a grid of ``shape`` samples is rendered: in tiles of ``tile``, at a known cost."""

    shape: tuple[int, ...]
    tile: tuple[int, ...]
    ops: Ops
    memory_bytes: int

    @property
    def macs(self) -> int:
        return self.ops.macs

    @property
    def size_label(self) -> str:
        return "x".join(map(str, reversed(self.shape)))  # width x height, as the CLI takes it

    def tiles(self) -> Iterator[tuple[slice, ...]]:
        """Every tile's slices, in row-major order of tiles."""
        starts = [range(0, n, t) for n, t in zip(self.shape, self.tile)]
        for corner in itertools.product(*starts):
            yield tuple(slice(start, start + t) for start, t in zip(corner, self.tile))


def plan_render(config: ModelConfig, shape: tuple[int, ...], output_bytes: int) -> RenderPlan:
    """The tiling and cost of decoding a file of ``config`` and rendering its network on a grid of
    ``shape`` samples, whose output occupies ``output_bytes``. Pure arithmetic on the header:
    nothing is allocated."""
    tile_points = max(1, ACTIVATION_BUDGET_BYTES // (config.floats_per_point() * FLOAT_BYTES))
    tile = _tile_shape(shape, tile_points)
    ops = config.decode_ops() + render_ops(config, shape, tile)
    activations = math.prod(tile) * config.floats_per_point() * FLOAT_BYTES
    weights = 3 * config.parameter_count() * FLOAT_BYTES  # float weights + decoded integers
    return RenderPlan(shape, tile, ops, output_bytes + activations + weights + config.decode_bytes())


def render_ops(config: ModelConfig, shape: tuple[int, ...], tile: tuple[int, ...]) -> Ops:
    """The arithmetic of rendering a grid of ``shape`` in tiles of ``tile``: every sample through
    the network and out, plus each tile's separable first layer on its own slice of every axis."""
    tiles_along = [math.ceil(n / t) for n, t in zip(shape, tile)]
    axis_samples = sum(n * math.prod(tiles_along) // tiles_along[i] for i, n in enumerate(shape))
    per_sample = config.point_ops() + config.out_features * OUTPUT_OPS
    return math.prod(shape) * per_sample + axis_samples * config.axis_ops()


def _tile_shape(shape: tuple[int, ...], points: int) -> tuple[int, ...]:
    """A tile of about ``points`` samples: equal sides where the grid allows, the last axis taking
    what a short axis leaves over."""
    side = max(1, int(points ** (1 / len(shape))))
    tile = [min(n, side) for n in shape[:-1]]
    last = max(1, points // math.prod(tile)) if tile else points
    return (*tile, min(shape[-1], last))


def cell_centres(count: int, dtype=np.float32) -> np.ndarray:
    """Centres of ``count`` equal cells covering [-1, 1]: sampling the same continuous square at any
    density, which is what makes decoding at any scale meaningful."""
    return ((2 * np.arange(count, dtype=dtype) + 1) / count - 1).astype(dtype)


def render_tiles(network: Network, axes: tuple[np.ndarray, ...],
                 plan: RenderPlan) -> Iterator[tuple[tuple[slice, ...], np.ndarray]]:
    """``(slices, values)`` for every tile of ``plan``: the network on the grid ``axes`` restricted
    to the tile, ``values`` of shape ``(*tile_shape, out_features)``."""
    for slices in plan.tiles():
        yield slices, network.on_grid(tuple(axis[s] for axis, s in zip(axes, slices)))


def render_threads() -> int:
    """Threads a render runs on: one per core this process may use, at most ``MAX_RENDER_THREADS``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, MAX_RENDER_THREADS))


@contextlib.contextmanager
def thread_pool():
    """A pool of ``render_threads()`` threads for independent pieces of a render, with the BLAS
    library held to one thread of its own meanwhile. numpy runs its loops outside the GIL, so one
    thread per core nearly halves a scene view's time on two cores (lego at 400 px: 2.2–2.4 → 1.3–1.4 s);
    with OpenBLAS's threads left on, the two pools spin against each other (2.7 s)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(render_threads()) as pool:
        yield pool
