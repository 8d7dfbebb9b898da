"""The latent model's training objective, MSE and the latents' bits, computed the way a CPU runs
it fastest.

The values are those of the plain formulation (``benchmarks/reference_loop.py``: ``F.interpolate``
per grid, contexts stacked from shifted slices, autograd through every elementwise op) to float
precision — tested; what changes is how many passes over memory a step makes:

- each grid is resampled to the image by two sparse matrices (one per axis) built from the
  decoder's own taps; PyTorch's bicubic interpolation is 4–8× slower forward and backward;
- a grid's causal neighbours are one ``unfold``; its coarser parent, two more sparse products;
- soft rounding and the Laplace bits are one autograd node each (``quant.rate.laplace_bits``);
- where the CPU has native bfloat16 (AVX-512 BF16, AMX), the two small networks run under bf16
  autocast: their products are memory-bound, and bf16 halves the traffic. Rounding, the MSE and
  the bits stay in float32; so do the quantization search and every reported figure.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from .entropy.latents import CONTEXT_OFFSETS, PAD, parent_taps
from .models.latent import LEARNED_UPSAMPLING, LatentImage, sampling_taps
from .quant import laplace_bits
from .signals import cell_centres

LOG_SCALE_RANGE = (-6.0, 12.0)  # log2 b the float context model may predict during training
PRECISIONS = ("auto", "float32", "bfloat16")


def native_bfloat16(device: torch.device) -> bool:
    """Whether this CPU multiplies bf16 matrices natively (oneDNN on AVX-512 BF16 or AMX); where it
    does not, bf16 is emulated and slower than float32."""
    if device.type != "cpu":
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


class LatentObjective:
    """Distortion and rate of a ``LatentImage``'s latent grids against ``target`` (H, W, C) in
    [-½, ½], over the pixels of ``known`` (H, W, 1; None: all). ``precision``: the training
    steps' matrix products in "float32", "bfloat16", or "auto" (bf16 where native)."""

    def __init__(self, network: LatentImage, target: torch.Tensor, known: torch.Tensor | None = None,
                 precision: str = "auto"):
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        self.network, self.target, self.known = network, target, known
        self.pixels = target.shape[0] * target.shape[1] if known is None else float(known.sum())
        self.bfloat16 = precision == "bfloat16" or (precision == "auto" and native_bfloat16(target.device))
        config, device = network.config, target.device
        height, width = config.signal_shape()
        shapes = config.latent_shapes()
        taps = sampling_taps(config.upsampling)
        axes = (cell_centres(height, device), cell_centres(width, device))
        self._to_image = [None if shape == (height, width) else  # a grid at its own size: the identity
                          tuple(_SparseRows(*taps(axis, cells), cells) for axis, cells in zip(axes, shape))
                          for shape in shapes]
        parent_weights = torch.tensor([[0.75, 0.25]], device=device)  # 9/16 = ¾·¾ … 1/16 = ¼·¼
        self._to_child = [tuple(_SparseRows(torch.from_numpy(np.stack(parent_taps(cells, parent), -1)).to(device),
                                        parent_weights.expand(cells, 2), parent)
                                for cells, parent in zip(child, coarser))
                          for child, coarser in zip(shapes, shapes[1:])]
        self._neighbours = torch.tensor([(dy + PAD) * (PAD + 1) + dx + PAD for dy, dx in CONTEXT_OFFSETS],
                                        device=device)

    def quantize(self, latents: torch.Tensor, progress: float, hard: bool, generator: torch.Generator):
        """``Q(y)``: straight-through rounding (``hard``), else soft rounding with Gaussian noise,
        temperature 0.3 → 0.1 and noise 0.25 → 0.1 as ``progress`` goes 0 → 1 (C3's schedule)."""
        if hard:
            return latents + (torch.round(latents) - latents).detach()
        temperature = 0.3 + (0.1 - 0.3) * progress
        noise = (0.25 + (0.1 - 0.25) * progress) * torch.randn(latents.shape, generator=generator,
                                                               device=latents.device)
        return _NoisySoftRound.apply(latents, noise, temperature)

    def features(self, grids: list[torch.Tensor]) -> torch.Tensor:
        """Every grid sampled at the image's pixels, as the decoder samples them: (H, W, levels)."""
        if self.network.config.upsampling == LEARNED_UPSAMPLING and len(grids) > 1:
            return self.network.upsampling(grids).permute(1, 2, 0).contiguous()  # the finest cells: no resampling
        return torch.stack([grid if matrices is None else _resample(grid, *matrices)
                            for grid, matrices in zip(grids, self._to_image)], dim=-1)

    def distortion(self, features: torch.Tensor, training: bool = False) -> torch.Tensor:
        """MSE of the synthesis over the known pixels (bf16 products if ``training`` and chosen)."""
        with torch.autocast(features.device.type, dtype=torch.bfloat16, enabled=training and self.bfloat16):
            image = self.network.synthesis(features)
        squared = (image.float() - self.target) ** 2
        if self.known is None:
            return squared.mean()
        return (squared * self.known).sum() / (self.pixels * self.target.shape[-1])

    def context_inputs(self, grids: list[torch.Tensor], level: int) -> torch.Tensor:
        """(latents, CONTEXT_INPUTS) contexts of grid ``level`` in the coder's order, divided by 16:
        its causal neighbours (zero beyond the border), then its upsampled parent."""
        grid = grids[level]
        patches = F.unfold(F.pad(grid[None, None], (PAD, 0, PAD, 0)), PAD + 1)[0]  # ((PAD+1)², latents)
        parent = (_resample(grids[level + 1], *self._to_child[level]) if level + 1 < len(grids)
                  else torch.zeros_like(grid))
        return torch.cat([patches[self._neighbours], parent.reshape(1, -1)]).T

    def rate(self, grids: list[torch.Tensor], training: bool = False) -> torch.Tensor:
        """Bits of all grids under the float context model's Laplace(μ, b)."""
        bits = 0.0
        for level, grid in enumerate(grids):
            contexts = self.context_inputs(grids, level)
            with torch.autocast(grid.device.type, dtype=torch.bfloat16, enabled=training and self.bfloat16):
                mean, log2_scale = self.network.context(contexts, level)
            scale = torch.exp2(log2_scale.float().clamp(*LOG_SCALE_RANGE))
            bits = bits + laplace_bits(grid.reshape(-1), scale, mean.float())
        return bits


class _SparseRows:
    """A sparse (rows, columns) matrix — row i has ``weights[i]`` at ``indices[i]``, repeats adding —
    stored with its transpose in CSR for the products of the forward and the backward pass."""

    def __init__(self, indices: torch.Tensor, weights: torch.Tensor, columns: int):
        rows = torch.arange(len(indices), device=indices.device).repeat_interleave(indices.shape[1])
        matrix = torch.sparse_coo_tensor(torch.stack([rows, indices.reshape(-1)]), weights.reshape(-1).float(),
                                         (len(indices), columns), check_invariants=True).coalesce()
        with warnings.catch_warnings():  # "CSR support is in beta": products are all we use of it
            warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta", UserWarning)
            self.matrix, self.transpose = matrix.to_sparse_csr(), matrix.t().coalesce().to_sparse_csr()

    def __matmul__(self, dense: torch.Tensor) -> torch.Tensor:
        return _SparseProduct.apply(self.matrix, self.transpose, dense)


class _SparseProduct(torch.autograd.Function):
    @staticmethod
    def forward(ctx, matrix, transpose, dense):
        ctx.transpose = transpose
        return matrix @ dense

    @staticmethod
    def backward(ctx, grad):
        return None, None, ctx.transpose @ grad


def _resample(grid: torch.Tensor, rows: _SparseRows, columns: _SparseRows) -> torch.Tensor:
    """rows · grid · columnsᵀ."""
    return (columns @ (rows @ grid).T).T


class _NoisySoftRound(torch.autograd.Function):
    """``soft_round(soft_round(y, T) + noise, T)`` (Agustsson & Theis's soft rounding twice, noise
    between) and its derivative, in one node."""

    @staticmethod
    def forward(ctx, latents, noise, temperature):
        gain = 0.5 / math.tanh(0.5 / temperature)
        floor = torch.floor(latents)
        inner = torch.tanh((latents - floor - 0.5) / temperature)
        rounded = floor + 0.5 + gain * inner + noise
        floor = torch.floor(rounded)
        outer = torch.tanh((rounded - floor - 0.5) / temperature)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward((1 - inner * inner) * (1 - outer * outer) * (gain / temperature) ** 2)
        return floor + 0.5 + gain * outer

    @staticmethod
    def backward(ctx, grad):
        derivative, = ctx.saved_tensors
        return grad * derivative, None, None


__all__ = ["LatentObjective", "native_bfloat16", "PRECISIONS"]
