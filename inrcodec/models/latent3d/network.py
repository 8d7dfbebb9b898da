"""A scene's radiance field as entropy-coded 3-D latent grids and a small SL²A decoder on top (the
latent image model's design carried to 3-D, where grid models beat weight-only networks: a lookup
is cheap and local, where an MLP must learn everything in its weights).

    grids y_0 … y_{L−1}: C integer channels each (C separate grids, coded apart), y_l of ⌈n/2^l⌉
                         latents along each axis of the finest grid (n_x × n_y × n_z), covering
                         the scene's box [−1, 1]³
    features(x) = [trilinear(y_l,c, x)]_l,c         (cell-centred, edges clamped; level-major)
    then the latent image model's synthesis (``latent.network.synthesize``): SL²A (Chebyshev block,
    LayerNorm, modulated ReLU fusion) to four outputs, density and colour.

Only the latents a sample inside the occupancy grid can read are coded (``coding.live_masks``); the
rest are zero. The context model and weight groups are the latent image model's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import ModelConfig, Network, Ops, Parameters
from ..latent.coding import CONTEXT_INPUTS
from ..latent.network import bilinear_first_tap, synthesis_and_context_shapes, synthesis_ops, synthesize
from .coding import PAD, decode_latents, encode_latents, grid_shapes, latent_code_lengths, live_masks

MAX_GRID_CELLS = 512  # latents per axis of the finest grid
MAX_LEVELS = 8
MAX_CHANNELS = 8


@dataclass(frozen=True)
class Latent3dConfig(ModelConfig):
    """Shape of a 3-D latent-grid radiance field; the finest grid has ``grid_x × grid_y × grid_z``
    latents over the scene's box."""

    grid_x: int = 1
    grid_y: int = 1
    grid_z: int = 1
    levels: int = 5
    width: int = 32  # of the synthesis
    hidden_layers: int = 1
    degree: int = 3  # Chebyshev degree of the synthesis's SL²A block; 0: a plain ReLU MLP
    rank: int = 0  # of the hidden layers (0: dense)
    context_width: int = 16
    channels: int = 1  # per level: a radiance field needs more than one number per point (RESULTS.md)

    def level_shapes(self) -> list[tuple[int, int, int]]:
        """The grids' shape at each level, finest first."""
        return grid_shapes((self.grid_x, self.grid_y, self.grid_z), self.levels)

    def latent_shapes(self) -> list[tuple[int, int, int]]:
        """Every grid, finest level first, each level's ``channels`` grids together."""
        return [shape for shape in self.level_shapes() for _ in range(self.channels)]

    def latent_count(self) -> int:
        return sum(int(np.prod(shape)) for shape in self.latent_shapes())

    def parameter_shapes(self):
        return synthesis_and_context_shapes(self)

    def point_ops(self) -> Ops:
        sample = Ops(elementwise=12 * self.levels + 8 * 3 * self.levels * self.channels)  # taps per level; gathers, blends per grid
        return sample + synthesis_ops(self)

    def decode_ops(self) -> Ops:
        """Every latent counted as if live (the occupancy grid is not known yet): its context, the
        context model, its table and its decoding."""
        c = self.context_width
        return self.latent_count() * Ops(CONTEXT_INPUTS * c + 2 * c, elementwise=4 * CONTEXT_INPUTS + 3 * c + 72)

    def decode_bytes(self) -> int:
        """Per latent, as if every one were live: its padded integer grid, the upsampled parent,
        its eight corners in floats, the wave order and the mask (the table cache is the image model's)."""
        padded = sum(int(np.prod([n + 2 * PAD for n in shape])) for shape in self.latent_shapes())
        return 8 * padded + 96 * self.latent_count() + 4096 * 1021 * 8

    def encode_bytes(self) -> int:
        """The interpreter and torch, then per latent the float grid, its gradient, Adam's state,
        the mask and the training rays' share."""
        return (900 << 20) + 64 * self.latent_count()

    def floats_per_point(self) -> int:
        grids = self.levels * self.channels
        first = grids * (self.degree + 2) if self.degree else 0
        return 18 * self.levels + 8 * grids + first + 5 * self.width + self.rank + self.out_features

    # the latents' coding: only the live latents of the scene's ``occupancy`` (its side data)
    def live_masks(self, occupancy: np.ndarray) -> list[np.ndarray]:
        """Per grid (``latent_shapes``), which of its latents are coded."""
        return [mask for mask in live_masks(occupancy, self.level_shapes()) for _ in range(self.channels)]

    def encode_latents(self, coder, grids: list[np.ndarray], ranges: list[int], context, occupancy: np.ndarray):
        encode_latents(coder, grids, self.live_masks(occupancy), ranges, context, self.channels)

    def decode_latents(self, coder, ranges: list[int], context, occupancy: np.ndarray) -> list[np.ndarray]:
        return decode_latents(coder, self.live_masks(occupancy), ranges, context, self.channels)

    def code_lengths(self, context, grids: list[np.ndarray], ranges: list[int], occupancy: np.ndarray):
        return latent_code_lengths(context, grids, self.live_masks(occupancy), ranges, self.channels)

    def coded_latents(self, occupancy: np.ndarray) -> list[int]:
        return [int(mask.sum()) for mask in self.live_masks(occupancy)]

    def limits(self) -> dict[str, tuple[int, int]]:
        return {
            **super().limits(),
            "grid_x": (1, MAX_GRID_CELLS),
            "grid_y": (1, MAX_GRID_CELLS),
            "grid_z": (1, MAX_GRID_CELLS),
            "levels": (1, MAX_LEVELS),
            "width": (1, 64),
            "hidden_layers": (0, 4),
            "degree": (0, 8),
            "rank": (0, self.width),
            "context_width": (1, 32),
            "channels": (1, MAX_CHANNELS),
        }


class Latent3dNetwork(Network):
    """The normative forward: every decoded grid sampled trilinearly at the points, then the synthesis."""

    config: Latent3dConfig

    def __init__(self, config: Latent3dConfig, parameters: Parameters, latents: list[np.ndarray]):
        super().__init__(config, parameters)
        grids = [np.asarray(grid, dtype=np.float32) for grid in latents]
        self.shapes = config.level_shapes()
        self.corners = [_corners(grids[start:start + config.channels]) for start in range(0, len(grids), config.channels)]

    def features(self, points: np.ndarray) -> np.ndarray:
        """``(N, 3)`` points in [−1, 1]³ -> ``(N, grids)``: each grid at the points, trilinearly
        (per axis the cell-centred taps of ``latent.network.bilinear_taps``, shared by a level's
        channels): one gather per level reads the eight corners of every channel (``_corners``),
        weighted by the eight products of the axes' weights."""
        channels = self.config.channels
        out = np.empty((len(points), len(self.corners), channels), dtype=np.float32)
        weights = np.empty((len(points), 8), dtype=np.float32)
        for level, (shape, corners) in enumerate(zip(self.shapes, self.corners)):
            _, ny, nz = shape
            (ix, wx), (iy, wy), (iz, wz) = (bilinear_first_tap(points[:, axis], n) for axis, n in enumerate(shape))
            for a, x in enumerate((1 - wx, wx)):
                for b, y in enumerate((1 - wy, wy)):
                    xy = x * y
                    weights[:, 4 * a + 2 * b] = xy * (1 - wz)
                    weights[:, 4 * a + 2 * b + 1] = xy * wz
            read = np.take(corners, (ix * ny + iy) * nz + iz, axis=0).reshape(len(points), channels, 8)
            out[:, level] = np.einsum("nck,nk->nc", read, weights)
        return out.reshape(len(points), -1)

    def on_points(self, points: np.ndarray) -> np.ndarray:
        return synthesize(self.config, self.parameters, self.features(points))


def _corners(grids: list[np.ndarray]) -> np.ndarray:
    """``(n_x · n_y · n_z, 8 · channels)``: for each latent (i, j, k) of a level's grids, each grid's
    values at (i + a, j + b, k + c) for a, b, c ∈ {0, 1} (clamped at the far edges, as the taps are),
    c fastest: a sample's trilinear read is one row."""
    rows = []
    for grid in grids:
        nx, ny, nz = grid.shape
        for a in range(2):
            for b in range(2):
                for c in range(2):
                    rows.append(grid[np.minimum(np.arange(nx) + a, nx - 1)][:, np.minimum(np.arange(ny) + b, ny - 1)]
                                [:, :, np.minimum(np.arange(nz) + c, nz - 1)].reshape(-1))
    return np.stack(rows, 1)
