"""The latent model's training objective written the plain way: what ``inrcodec.models.latent.objective``
is measured against (``benchmarks/speed.py``) and checked against (``tests/test_latent_objective.py``).

Each piece is the obvious eager-PyTorch formulation: ``F.interpolate`` for every grid, a grid's
contexts stacked from shifted slices, the parent grid upsampled by indexing, soft rounding and the
Laplace bits as chains of elementwise ops that autograd differentiates one by one, everything in
float32. ``PlainObjective`` has ``LatentObjective``'s interface, so ``fit_latent_model`` runs on
either and the two encodes differ only in how a step is computed.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from inrcodec.models.latent.coding import CONTEXT_OFFSETS, PAD, parent_taps
from inrcodec.models.latent.objective import LOG_SCALE_RANGE
from inrcodec.models.latent.network import LEARNED_UPSAMPLING
from inrcodec.models.latent.trainable import LatentImage

LN2 = math.log(2.0)


def soft_round(y: torch.Tensor, temperature: float) -> torch.Tensor:
    floor = torch.floor(y)
    return floor + 0.5 + 0.5 * torch.tanh((y - floor - 0.5) / temperature) / math.tanh(0.5 / temperature)


def upsample_parent(parent: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    rn, rf = (torch.from_numpy(taps).to(parent.device) for taps in parent_taps(shape[0], parent.shape[0]))
    cn, cf = (torch.from_numpy(taps).to(parent.device) for taps in parent_taps(shape[1], parent.shape[1]))
    return (9 * parent[rn][:, cn] + 3 * parent[rn][:, cf] + 3 * parent[rf][:, cn] + parent[rf][:, cf]) / 16


def laplace_bits(y: torch.Tensor, mean: torch.Tensor, log2_scale: torch.Tensor) -> torch.Tensor:
    scale = torch.exp2(log2_scale.clamp(*LOG_SCALE_RANGE))
    distance = (y - mean).abs()
    tail = math.log(0.5) - (distance - 0.5) / scale + torch.log(-torch.expm1(-1.0 / scale))
    near = distance.clamp(max=0.5)
    centre = torch.log((1 - 0.5 * torch.exp(-(0.5 - near) / scale) - 0.5 * torch.exp(-(0.5 + near) / scale))
                       .clamp_min(1e-30))
    return -torch.where(distance >= 0.5, tail, centre).sum() / LN2


class PlainObjective:
    """``LatentObjective`` computed plainly (see the module's docstring)."""

    def __init__(self, network: LatentImage, target: torch.Tensor, known: torch.Tensor | None = None,
                 precision: str = "float32"):
        if precision != "float32":
            raise ValueError("the plain objective computes in float32 only")
        self.network, self.target, self.known = network, target, known
        self.pixels = target.shape[0] * target.shape[1] if known is None else float(known.sum())
        self.samples = target.shape[0] * target.shape[1]  # the unit of the rate term in the step search

    def quantize(self, y: torch.Tensor, progress: float, hard: bool, generator: torch.Generator) -> torch.Tensor:
        if hard:
            return y + (torch.round(y) - y).detach()
        temperature = 0.3 + (0.1 - 0.3) * progress
        noise = (0.25 + (0.1 - 0.25) * progress) * torch.randn(y.shape, generator=generator, device=y.device)
        return soft_round(soft_round(y, temperature) + noise, temperature)

    def features(self, grids: list[torch.Tensor]) -> torch.Tensor:
        size = self.network.config.signal_shape()
        if self.network.config.upsampling == LEARNED_UPSAMPLING and len(grids) > 1:
            return self.network.upsampling(grids).permute(1, 2, 0)  # a cascade of plain slices already
        mode = "bicubic" if self.network.config.upsampling else "bilinear"
        return torch.stack([F.interpolate(g[None, None], size=size, mode=mode, align_corners=False)[0, 0]
                            for g in grids], dim=-1)

    def distortion(self, features: torch.Tensor) -> torch.Tensor:
        squared = (self.network.synthesis(features) - self.target) ** 2
        if self.known is None:
            return squared.mean()
        return (squared * self.known).sum() / (self.pixels * self.target.shape[-1])

    def context_inputs(self, grids: list[torch.Tensor], level: int) -> torch.Tensor:
        grid = grids[level]
        rows, columns = grid.shape
        padded = F.pad(grid[None, None], (PAD, 0, PAD, 0))[0, 0]
        neighbours = [padded[PAD + dy:PAD + dy + rows, PAD + dx:PAD + dx + columns] for dy, dx in CONTEXT_OFFSETS]
        up = upsample_parent(grids[level + 1], grid.shape) if level + 1 < len(grids) else torch.zeros_like(grid)
        return torch.stack(neighbours + [up], dim=-1)

    def backward(self, grids: list[torch.Tensor], rate_weight: float, training: bool = True):
        mse = self.distortion(self.features(grids))
        loss = mse + rate_weight * self.rate(grids) / self.pixels
        loss.backward()
        return loss.detach(), mse.detach()

    def rate(self, grids: list[torch.Tensor]) -> torch.Tensor:
        bits = 0.0
        for level, grid in enumerate(grids):
            mean, log2_scale = self.network.context(self.context_inputs(grids, level), level)
            bits = bits + laplace_bits(grid, mean, log2_scale)
        return bits
