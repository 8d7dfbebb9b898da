"""The trainable (PyTorch) twin of the 3-D latent-grid model (``network.py``) and the latents' rate
under the float context model, as the encoder trains them. The synthesis and context networks are
the latent image model's own (``latent.trainable``)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ...train.rate import laplace_bits
from ..latent.objective import LOG_SCALE_RANGE
from ..latent.trainable import ContextNetwork, LatentBuffers, Synthesis, register_latents
from ..trainable_base import CoordinateNetwork
from .coding import PAD, Waves, parent_taps
from .network import Latent3dConfig


class LatentScene(LatentBuffers, CoordinateNetwork):
    """Latent grids (buffers: the decoder's integers), synthesis and context model."""

    def __init__(self, config: Latent3dConfig):
        super().__init__()
        self.config = config
        self.synthesis = Synthesis(config)
        self.context = ContextNetwork(config)
        register_latents(self, config)

    def field(self, points: torch.Tensor, grids: list[torch.Tensor]) -> torch.Tensor:
        """``(N, 3)`` points -> ``(N, 4)`` outputs, from ``grids`` (the encoder's latents)."""
        return self.synthesis(features(points, grids, self.config.channels))

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        return self.field(coords, self.latent_grids())


def features(points: torch.Tensor, grids: list[torch.Tensor], channels: int = 1) -> torch.Tensor:
    """Each grid ``(n_x, n_y, n_z)`` trilinearly at ``(N, 3)`` points: ``(N, grids)``, a level's
    ``channels`` grids sampled together (cell-centred, edges clamped: the normative taps). A level's
    z-slices are tiled into one image and read with two bilinear ``grid_sample`` calls blended along z:
    PyTorch's 2-D sampler is vectorised on CPU where its 3-D one is not (forward and backward at
    60 k points of lego's grids: 0.06 s against 0.09 s)."""
    sampled = []
    for start in range(0, len(grids), channels):
        volume = torch.stack(grids[start:start + channels])
        sampled.append(_trilinear(volume, points))
    return torch.cat(sampled).T


def _trilinear(volume: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """``(K, n_x, n_y, n_z)`` read at ``(N, 3)`` points in [-1, 1]³: ``(K, N)``."""
    k, nx, ny, nz = volume.shape
    columns = math.ceil(math.sqrt(nz))
    rows = math.ceil(nz / columns)
    # slice z at tile (z // columns, z % columns): a square image keeps float32 positions exact to 1e-4 cells
    tiles = F.pad(volume.permute(0, 3, 2, 1), (0, 0, 0, 0, 0, rows * columns - nz))
    image = tiles.reshape(k, rows, columns, ny, nx).permute(0, 1, 3, 2, 4).reshape(1, k, rows * ny, columns * nx)
    cells = points.new_tensor((nx, ny, nz))
    position = torch.minimum(((points + 1) * (cells / 2) - 0.5).clamp_min(0), cells - 1)
    below = position[:, 2].floor()
    above = torch.clamp_max(below + 1, nz - 1)
    height, width = image.shape[2:]
    slices = torch.cat([below, above])  # each point read in its two slices
    x = (position[:, 0].repeat(2) + slices % columns * nx) * (2 / width) + (1 / width - 1)
    y = (position[:, 1].repeat(2) + slices.div(columns, rounding_mode="floor") * ny) * (2 / height) + (1 / height - 1)
    taps = F.grid_sample(image, torch.stack([x, y], 1)[None, :, None], mode="bilinear", padding_mode="border",
                         align_corners=False)[0, :, :, 0]
    blend = position[:, 2] - below
    return torch.lerp(taps[:, :len(points)], taps[:, len(points):], blend)


class LatentRate:
    """Bits of the live latents of every grid under the float context model's Laplace(μ, b): each
    live latent's context is gathered from the grid (zero-padded) and its parent's (the same channel
    one level coarser) trilinear doubling, as ``coding`` reads them."""

    def __init__(self, masks: list[np.ndarray], channels: int, device: torch.device):
        self.channels = channels
        self.levels = []
        for level, mask in enumerate(masks):
            waves = Waves(mask)
            # each live latent's context neighbours as indices into its grid, and which lie inside it
            # (the padding reads zero): gathers from the grid itself, no padded copy per step
            where = np.unravel_index(waves.padded[:, None] + waves.offsets, waves.padded_shape)
            where = [axis - PAD for axis in where]
            inside = np.logical_and.reduce([(axis >= 0) & (axis < n) for axis, n in zip(where, mask.shape)])
            neighbours = np.ravel_multi_index(tuple(np.clip(axis, 0, n - 1) for axis, n in zip(where, mask.shape)),
                                              mask.shape)
            cells = waves.cells
            flat = np.ravel_multi_index(tuple(cells.T), mask.shape)
            parent = np.zeros((len(cells), 0), dtype=np.int64)
            weights = []
            if level + channels < len(masks):
                coarse = masks[level + channels].shape
                taps = [parent_taps(n, limit) for n, limit in zip(mask.shape, coarse)]
                indices = []
                for wx, ix in zip((3, 1), taps[0]):
                    for wy, iy in zip((3, 1), taps[1]):
                        for wz, iz in zip((3, 1), taps[2]):
                            indices.append(np.ravel_multi_index((ix[cells[:, 0]], iy[cells[:, 1]], iz[cells[:, 2]]), coarse))
                            weights.append(wx * wy * wz / 64)
                parent = np.stack(indices, 1)
            self.levels.append(tuple(torch.from_numpy(np.ascontiguousarray(a)).to(device) for a in (
                neighbours, inside.astype(np.float32), flat, parent, np.array(weights, dtype=np.float32))))

    def live_count(self) -> int:
        return sum(len(level[2]) for level in self.levels)

    def bits(self, grids: list[torch.Tensor], context: ContextNetwork, share: float = 1.0,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """The bits of every live latent, or (``share`` < 1) an unbiased estimate from that share
        of them drawn at random."""
        total = grids[0].new_zeros(())
        for level, (neighbours, inside, flat, parent, weights) in enumerate(self.levels):
            if not len(flat):
                continue
            scale = 1.0
            if share < 1:
                chosen = torch.randint(0, len(flat), (max(1, round(share * len(flat))),), generator=generator,
                                       device=flat.device)
                scale = len(flat) / len(chosen)
                neighbours, inside, flat, parent = (
                    a.index_select(0, chosen) for a in (neighbours, inside, flat, parent))
            values = grids[level].reshape(-1)
            context_values = values.index_select(0, neighbours.reshape(-1)).reshape(neighbours.shape) * inside
            if len(weights):
                coarse = grids[level + self.channels].reshape(-1)
                upsampled = coarse.index_select(0, parent.reshape(-1)).reshape(parent.shape) @ weights
            else:
                upsampled = values.new_zeros(len(flat))
            mean, log2_scale = context(torch.cat([context_values, upsampled[:, None]], 1), level)
            scales = torch.exp2(log2_scale.clamp(*LOG_SCALE_RANGE))
            total = total + scale * laplace_bits(values.index_select(0, flat), scales, mean)
        return total


