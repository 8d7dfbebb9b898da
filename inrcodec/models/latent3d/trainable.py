"""The trainable (PyTorch) twin of the 3-D latent-grid model (``network.py``) and the latents' rate
under the float context model, as the encoder trains them. The synthesis and context networks are
the latent image model's own (``latent.trainable``)."""

from __future__ import annotations

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
    ``channels`` grids sampled together. ``grid_sample`` (cell-centred, border-clamped) is the
    normative taps' arithmetic."""
    where = points[None, :, None, None, :]  # grid_sample reads (x, y, z) against a (z, y, x) volume
    levels = [torch.stack(grids[start:start + channels]).permute(0, 3, 2, 1)[None]
              for start in range(0, len(grids), channels)]
    return torch.cat([F.grid_sample(level, where, mode="bilinear", padding_mode="border",
                                    align_corners=False)[0, :, :, 0, 0] for level in levels]).T


class LatentRate:
    """Bits of the live latents of every grid under the float context model's Laplace(μ, b): each
    live latent's context is gathered from the grid (zero-padded) and its parent's (the same channel
    one level coarser) trilinear doubling, as ``coding`` reads them."""

    def __init__(self, masks: list[np.ndarray], channels: int, device: torch.device):
        self.channels = channels
        self.levels = []
        for level, mask in enumerate(masks):
            waves = Waves(mask)
            padded_shape = waves.padded_shape
            neighbours = torch.from_numpy(waves.padded[:, None] + waves.offsets).to(device)
            cells = waves.cells
            flat = torch.from_numpy(np.ravel_multi_index(tuple(cells.T), mask.shape)).to(device)
            parent = None
            if level + channels < len(masks):
                coarse = masks[level + channels].shape
                taps = [parent_taps(n, limit) for n, limit in zip(mask.shape, coarse)]
                indices, weights = [], []
                for wx, ix in zip((3, 1), taps[0]):
                    for wy, iy in zip((3, 1), taps[1]):
                        for wz, iz in zip((3, 1), taps[2]):
                            indices.append(np.ravel_multi_index((ix[cells[:, 0]], iy[cells[:, 1]], iz[cells[:, 2]]), coarse))
                            weights.append(wx * wy * wz / 64)
                parent = (torch.from_numpy(np.stack(indices, 1)).to(device),
                          torch.tensor(weights, dtype=torch.float32, device=device))
            self.levels.append((padded_shape, neighbours, flat, parent))

    def live_count(self) -> int:
        return sum(len(flat) for _, _, flat, _ in self.levels)

    def bits(self, grids: list[torch.Tensor], context: ContextNetwork, share: float = 1.0,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """The bits of every live latent, or (``share`` < 1) an unbiased estimate from that share
        of them drawn at random."""
        total = grids[0].new_zeros(())
        for level, (shape, neighbours, flat, parent) in enumerate(self.levels):
            if not len(flat):
                continue
            scale = 1.0
            if share < 1:
                chosen = torch.randint(0, len(flat), (max(1, round(share * len(flat))),), generator=generator,
                                       device=flat.device)
                scale = len(flat) / len(chosen)
                neighbours, flat = neighbours[chosen], flat[chosen]
                parent = None if parent is None else (parent[0][chosen], parent[1])
            grid = grids[level]
            padded = F.pad(grid[None, None], (PAD,) * 6)[0, 0].reshape(-1)
            inputs = [padded[neighbours]]
            if parent is None:
                inputs.append(grid.new_zeros(len(flat), 1))
            else:
                indices, weights = parent
                inputs.append((grids[level + self.channels].reshape(-1)[indices] * weights).sum(1, keepdim=True))
            mean, log2_scale = context(torch.cat(inputs, 1), level)
            total = total + scale * laplace_bits(grid.reshape(-1)[flat], torch.exp2(log2_scale.clamp(*LOG_SCALE_RANGE)), mean)
        return total


