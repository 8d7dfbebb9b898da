"""The latent model's training objective, MSE and the latents' bits, computed the way a CPU runs
it fastest.

The values are those of the plain formulation (``benchmarks/reference_loop.py``: ``F.interpolate``
per grid, contexts stacked from shifted slices, autograd through every elementwise op) to float
precision — tested; what changes is how many passes over memory a step makes:

- a step works a 512² tile of the picture and a chunk of grid rows at a time (``backward``), so its
  memory is the latents' own and one tile's, at any picture size (a whole-picture step took
  0.7–1.8 KB per pixel: benchmarks/RESULTS.md, "Photographs of every size");
- the learned cascade runs on crops of the grids that make exactly the tile's features; fixed
  interpolation is two sparse matrices (one per axis) built from the decoder's own taps
  (PyTorch's bicubic interpolation is 4–8× slower forward and backward);
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

from ...presets import PRECISIONS
from ...signals.encoding import centres_tensor
from ...train.qat import SEARCH_START_SHARE
from ...train.rate import laplace_bits
from .coding import CONTEXT_OFFSETS, PAD, parent_taps
from .network import LEARNED_UPSAMPLING, cascade_crops, cascade_windows, tile_ranges
from .trainable import LatentImage, sampling_taps


LOG_SCALE_RANGE = (-6.0, 12.0)  # log2 b the float context model may predict during training


def native_bfloat16(device: torch.device) -> bool:
    """Whether this CPU multiplies bf16 matrices natively (oneDNN on AVX-512 BF16 or AMX); where it
    does not, bf16 is emulated and slower than float32."""
    if device.type != "cpu":
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


TILE_SIDE = 512  # pixels per side of a training tile (the working set of a step is one tile's)
CHUNK_LATENTS = 1 << 18  # latents per chunk of the rate term


class LatentObjective:
    """Distortion and rate of a ``LatentImage``'s latent grids against ``target`` (H, W, C) in
    [-½, ½], over the pixels of ``known`` (H, W, 1; None: all). ``precision``: the training
    steps' matrix products in "float32", "bfloat16", or "auto" (bf16 where native).

    Memory stays bounded at any picture size: a step (``backward``) renders and differentiates one
    ``tile_side``² tile at a time — its features from crops of the grids just wide enough to be exact
    — and the rate one chunk of grid rows at a time, each piece's gradient added into the grids'
    before the next; only the latents and their gradients are whole."""

    soft_share = 0.85  # of the fit's steps with soft rounding and noise; the rest are hard-rounded
    search_start_share = SEARCH_START_SHARE  # of a synthesis group's spread: where its step search starts

    def __init__(self, network: LatentImage, target: torch.Tensor, known: torch.Tensor | None = None,
                 precision: str = "auto", tile_side: int = TILE_SIDE, chunk_latents: int = CHUNK_LATENTS):
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
        self.network, self.target, self.known = network, target, known
        self.pixels = target.shape[0] * target.shape[1] if known is None else float(known.sum())
        self.samples = target.shape[0] * target.shape[1]  # the unit of the rate term in the step search
        self.bfloat16 = precision == "bfloat16" or (precision == "auto" and native_bfloat16(target.device))
        config, device = network.config, target.device
        height, width = config.signal_shape()
        shapes = config.latent_shapes()
        self.tiles = [_Tile(config, rows, columns, device) for rows, columns in tile_ranges(height, width, tile_side)]
        parent_weights = torch.tensor([[0.75, 0.25]], device=device)  # 9/16 = ¾·¾ … 1/16 = ¼·¼
        self._to_child = [tuple(_SparseRows(torch.from_numpy(np.stack(parent_taps(cells, parent), -1)).to(device),
                                        parent_weights.expand(cells, 2), parent)
                                for cells, parent in zip(child, coarser))
                          for child, coarser in zip(shapes, shapes[1:])]
        self._neighbours = torch.tensor([(dy + PAD) * (PAD + 1) + dx + PAD for dy, dx in CONTEXT_OFFSETS],
                                        device=device)
        self._chunk_rows = [max(1, chunk_latents // columns) for _, columns in shapes]

    @staticmethod
    def quantize(latents: torch.Tensor, progress: float, hard: bool, generator: torch.Generator):
        return quantize_latents(latents, progress, hard, generator)

    def backward(self, grids: list[torch.Tensor], rate_weight: float, training: bool = True):
        """The loss MSE + ``rate_weight`` · bits / pixels of ``grids`` (latents, part of a graph),
        its gradient propagated into that graph a tile and a chunk at a time; returns the detached
        (loss, MSE). ``training``: bf16 products if chosen."""
        values = [grid.detach() for grid in grids]
        gradients = [torch.zeros_like(grid) for grid in grids]
        squared_error = torch.zeros((), device=self.target.device)
        samples = self.pixels * self.target.shape[-1]
        for tile in self.tiles:
            crops = [value[crop].requires_grad_() for value, crop in zip(values, tile.crops)]
            error = self._squared_error(tile.features(self.network, crops), tile, training)
            (error / samples).backward()
            _add_gradients(gradients, crops, tile.crops)
            squared_error += error.detach()
        bits = torch.zeros((), device=self.target.device)
        for level in range(len(grids)):
            bits += self._level_rate_backward(values, gradients, level, rate_weight / self.pixels, training)
        torch.autograd.backward(grids, gradients)
        mse = squared_error / samples
        return mse + rate_weight * bits / self.pixels, mse

    def features(self, grids: list[torch.Tensor]) -> torch.Tensor:
        """Every grid sampled at the image's pixels, as the decoder samples them: (H, W, levels),
        without gradients (built a tile at a time)."""
        height, width = self.network.config.signal_shape()
        with torch.no_grad():
            features = grids[0].new_empty(height, width, len(grids))
            for tile in self.tiles:
                features[tile.rows, tile.columns] = tile.features(self.network, [g[c] for g, c in zip(grids, tile.crops)])
        return features

    def distortion(self, features: torch.Tensor) -> torch.Tensor:
        """MSE of the synthesis over the known pixels, from ``features`` (``features``), without
        gradients (a tile at a time)."""
        with torch.no_grad():
            error = sum(self._squared_error(features[tile.rows, tile.columns], tile, False) for tile in self.tiles)
        return error / (self.pixels * self.target.shape[-1])

    def _squared_error(self, features: torch.Tensor, tile: "_Tile", training: bool) -> torch.Tensor:
        """Σ of the squared errors of the synthesis on one tile's ``features`` (known pixels only)."""
        with torch.autocast(features.device.type, dtype=torch.bfloat16, enabled=training and self.bfloat16):
            image = self.network.synthesis(features)
        squared = (image.float() - self.target[tile.rows, tile.columns]) ** 2
        return squared.sum() if self.known is None else (squared * self.known[tile.rows, tile.columns]).sum()

    def context_inputs(self, grids: list[torch.Tensor], level: int) -> torch.Tensor:
        """(latents, CONTEXT_INPUTS) contexts of grid ``level`` in the coder's order, divided by 16:
        its causal neighbours (zero beyond the border), then its upsampled parent."""
        parent = (_resample(grids[level + 1], *self._to_child[level]) if level + 1 < len(grids)
                  else torch.zeros_like(grids[level]))
        return self._contexts(grids[level], 0, parent)

    def _contexts(self, rows: torch.Tensor, above: int, parent: torch.Tensor) -> torch.Tensor:
        """Contexts of the grid rows ``rows[above:]``, ``rows`` starting ``above`` ≤ PAD rows earlier
        (a grid's first rows: fewer, zeros beyond the border); ``parent`` those rows' upsampled parent."""
        padded = F.pad(rows[None, None], (PAD, 0, PAD - above, 0))
        patches = F.unfold(padded, PAD + 1)[0]  # ((PAD+1)², latents)
        return torch.cat([patches[self._neighbours], parent.reshape(1, -1)]).T

    def _level_rate_backward(self, values, gradients, level: int, weight: float, training: bool) -> torch.Tensor:
        """Bits of grid ``level`` under the float context model's Laplace(μ, b), their gradient times
        ``weight`` added into ``gradients``, a chunk of rows at a time."""
        parent = values[level + 1].detach().requires_grad_() if level + 1 < len(values) else None
        upsampled = (torch.zeros_like(values[level]) if parent is None
                     else _resample(parent, *self._to_child[level]))
        upsampled_gradient = torch.zeros_like(upsampled)
        bits = torch.zeros((), device=upsampled.device)
        rows = values[level].shape[0]
        for start in range(0, rows, self._chunk_rows[level]):
            stop = min(rows, start + self._chunk_rows[level])
            crop = (slice(max(0, start - PAD), stop),)
            block = values[level][crop].requires_grad_()
            above = start - crop[0].start
            # a leaf of its own: the gradient of a slice of a leaf is a whole grid's, zeroed per chunk
            parent_rows = upsampled[start:stop].detach().requires_grad_()
            contexts = self._contexts(block, above, parent_rows)
            with torch.autocast(block.device.type, dtype=torch.bfloat16, enabled=training and self.bfloat16):
                mean, log2_scale = self.network.context(contexts, level)
            scale = torch.exp2(log2_scale.float().clamp(*LOG_SCALE_RANGE))
            chunk = laplace_bits(block[above:].reshape(-1), scale, mean.float())
            (weight * chunk).backward()
            _add_gradients([gradients[level], upsampled_gradient], [block, parent_rows], [crop, slice(start, stop)])
            bits += chunk.detach()
        if parent is not None:
            upsampled.backward(upsampled_gradient)
            gradients[level + 1] += parent.grad
        return bits


def _add_gradients(gradients: list[torch.Tensor], crops: list[torch.Tensor], slices) -> None:
    for gradient, crop, where in zip(gradients, crops, slices):
        if crop.grad is not None:
            gradient[where] += crop.grad


class _Tile:
    """One tile of the picture — ``rows`` × ``columns`` — and how its features are made: from which
    crop of each grid (``crops``), through the learned cascade's windows or sparse resampling."""

    def __init__(self, config, rows: tuple[int, int], columns: tuple[int, int], device: torch.device):
        self.rows, self.columns = slice(*rows), slice(*columns)
        shapes = config.latent_shapes()
        height, width = config.signal_shape()
        self.windows = None
        if config.upsampling == LEARNED_UPSAMPLING and len(shapes) > 1:
            self.windows = cascade_windows(shapes, rows, columns)
            self.crops = cascade_crops(shapes, self.windows)
            return
        taps = sampling_taps(config.upsampling)
        axes = (centres_tensor(height, device)[self.rows], centres_tensor(width, device)[self.columns])
        self.crops, self._resamplers = [], []
        for shape in shapes:
            if shape == (height, width):  # a grid at the picture's size: the identity
                self.crops.append((self.rows, self.columns))
                self._resamplers.append(None)
                continue
            crop, resampler = [], []
            for axis, cells in zip(axes, shape):
                indices, weights = taps(axis, cells)
                first, last = int(indices.min()), int(indices.max())
                crop.append(slice(first, last + 1))
                resampler.append(_SparseRows(indices - first, weights, last + 1 - first))
            self.crops.append(tuple(crop))
            self._resamplers.append(tuple(resampler))

    def features(self, network: LatentImage, crops: list[torch.Tensor]) -> torch.Tensor:
        """The tile's features ``(rows, columns, levels)`` from the grids' ``crops``."""
        if self.windows is not None:
            return network.upsampling(crops, self.windows).permute(1, 2, 0).contiguous()
        return torch.stack([crop if resampler is None else _resample(crop, *resampler)
                            for crop, resampler in zip(crops, self._resamplers)], dim=-1)


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


def quantize_latents(latents: torch.Tensor, progress: float, hard: bool, generator: torch.Generator):
    """``Q(y)``: straight-through rounding (``hard``), else soft rounding with Gaussian noise,
    temperature 0.3 → 0.1 and noise 0.25 → 0.1 as ``progress`` goes 0 → 1 (C3's schedule)."""
    if hard:
        return latents + (torch.round(latents) - latents).detach()
    temperature = 0.3 + (0.1 - 0.3) * progress
    noise = (0.25 + (0.1 - 0.25) * progress) * torch.randn(latents.shape, generator=generator, device=latents.device)
    return _NoisySoftRound.apply(latents, noise, temperature)


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
