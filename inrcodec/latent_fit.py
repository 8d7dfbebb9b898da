"""Encoder side of the latent-grid model: fitting latents and networks to an image under a rate
constraint, then quantizing the networks so that the integer context model codes the latents.

Training minimises  MSE + λ · bits / pixels, the bits being −log2 of each latent's probability under
the context network's Laplace(μ, b) — the continuous twin of the coder's tables. The latents are
``Q(y)`` for trained floats ``y`` learning 16 times faster than the networks in the first phase
(Cool-chic's encoder gain of 16 does the same under Adam); ``Q`` is soft rounding with Gaussian
noise for most of the steps, temperature 0.3 → 0.1 and noise 0.25 → 0.1 (C3's schedule), then
rounding with straight-through gradients, every parameter at a learning rate of 1e-4. Afterwards the synthesis weights get their steps by the rate-distortion search of the
weight-only models, and the context model's tensors the power-of-two step that codes the latents
and themselves in the fewest bits, measured with the exact integer model and tables.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .entropy import symbol_bits
from .entropy.latents import CONTEXT_OFFSETS, MAX_LATENT_RANGE, PAD, upsample_sixteenths
from .entropy.latents import _tables as latent_tables  # the coder's own table choice
from .fit import Schedule, optimize
from .models.latent import MIN_CONTEXT_EXPONENT, LatentImage, integer_context_model
from .quant import best_scale_index, weight_groups
from .quant.qat import quantize, search_steps

LN2 = math.log(2.0)
LATENT_LEARNING_RATE_SCALE = 16.0
SOFT_SHARE = 0.85  # of the steps with soft rounding and noise; the rest are hard-rounded
FINAL_LEARNING_RATE = 1e-4
LOG_SCALE_RANGE = (-6.0, 12.0)  # log2 b the float model may predict during training
DEFAULT_CONTEXT_EXPONENT = -8  # context tensors start at steps of 2^-8


def soft_round(y: torch.Tensor, temperature: float) -> torch.Tensor:
    """Agustsson & Theis's differentiable rounding: ``round`` as the temperature goes to 0."""
    floor = torch.floor(y)
    return floor + 0.5 + 0.5 * torch.tanh((y - floor - 0.5) / temperature) / math.tanh(0.5 / temperature)


def _quantize(y: torch.Tensor, progress: float, hard: bool, generator: torch.Generator) -> torch.Tensor:
    if hard:
        return y + (torch.round(y) - y).detach()
    temperature = 0.3 + (0.1 - 0.3) * progress
    noise = (0.25 + (0.1 - 0.25) * progress) * torch.randn(y.shape, generator=generator, device=y.device)
    return soft_round(soft_round(y, temperature) + noise, temperature)


def _upsample(parent: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """``entropy.latents.upsample_sixteenths`` / 16, differentiably."""
    def axis(count: int, limit: int):
        index = torch.arange(count, device=parent.device)
        near = (index // 2).clamp(max=limit - 1)
        far = torch.where(index % 2 == 0, near - 1, near + 1).clamp(0, limit - 1)
        return near, far

    rn, rf = axis(shape[0], parent.shape[0])
    cn, cf = axis(shape[1], parent.shape[1])
    return (9 * parent[rn][:, cn] + 3 * parent[rn][:, cf] + 3 * parent[rf][:, cn] + parent[rf][:, cf]) / 16


def context_inputs(grids: list[torch.Tensor], level: int) -> torch.Tensor:
    """``(H, W, CONTEXT_INPUTS)`` float contexts of every latent of grid ``level`` (the coder's,
    divided by 16): its causal neighbours and the upsampled coarser grid."""
    grid = grids[level]
    rows, columns = grid.shape
    padded = F.pad(grid[None, None], (PAD, 0, PAD, 0))[0, 0]
    neighbours = [padded[PAD + dy:PAD + dy + rows, PAD + dx:PAD + dx + columns] for dy, dx in CONTEXT_OFFSETS]
    up = _upsample(grids[level + 1], grid.shape) if level + 1 < len(grids) else torch.zeros_like(grid)
    return torch.stack(neighbours + [up], dim=-1)


def laplace_bits(y: torch.Tensor, mean: torch.Tensor, log2_scale: torch.Tensor) -> torch.Tensor:
    """Total −log2 P of the integer bins around ``y`` under Laplace(mean, 2^log2_scale)."""
    scale = torch.exp2(log2_scale.clamp(*LOG_SCALE_RANGE))
    distance = (y - mean).abs()
    tail = math.log(0.5) - (distance - 0.5) / scale + torch.log(-torch.expm1(-1.0 / scale))
    near = distance.clamp(max=0.5)
    centre = torch.log((1 - 0.5 * torch.exp(-(0.5 - near) / scale) - 0.5 * torch.exp(-(0.5 + near) / scale))
                       .clamp_min(1e-12))
    return -torch.where(distance >= 0.5, tail, centre).sum() / LN2


def latent_rate(network: LatentImage, grids: list[torch.Tensor]) -> torch.Tensor:
    """Bits of all latent grids under the float context network."""
    bits = 0.0
    for level, grid in enumerate(grids):
        mean, log2_scale = network.context(context_inputs(grids, level), level)
        bits = bits + laplace_bits(grid, mean, log2_scale)
    return bits


def fit_latents(network: LatentImage, target: torch.Tensor, known: torch.Tensor | None, rate_weight: float,
                steps: int, learning_rate: float, generator: torch.Generator, progress: bool) -> list[torch.Tensor]:
    """Train latents and networks; returns the integer latent grids (float tensors, finest first)."""
    height, width = network.config.signal_shape()
    pixels = height * width if known is None else float(known.sum())
    encoder_latents = [torch.zeros(shape, device=target.device, requires_grad=True)
                       for shape in network.config.latent_shapes()]
    soft_steps = max(1, round(SOFT_SHARE * steps)) if steps > 1 else steps

    def distortion(image: torch.Tensor) -> torch.Tensor:
        squared = (image - target) ** 2
        return squared.mean() if known is None else (squared * known).sum() / (pixels * target.shape[-1])

    def loss_and_mse(step: int, hard: bool, total: int):
        grids = [_quantize(y, step / max(1, total), hard, generator) for y in encoder_latents]
        mse = distortion(network.synthesize(grids))
        return mse + rate_weight * latent_rate(network, grids) / pixels, mse.detach()

    networks = list(network.parameters())
    optimize([{"params": networks}, {"params": encoder_latents, "lr_scale": LATENT_LEARNING_RATE_SCALE}],
             lambda step: loss_and_mse(step, False, soft_steps),
             Schedule(soft_steps, learning_rate, learning_rate / 100), label="fit latents", progress=progress)
    if steps - soft_steps > 0:
        optimize(networks + encoder_latents, lambda step: loss_and_mse(step, True, steps - soft_steps),
                 Schedule(steps - soft_steps, FINAL_LEARNING_RATE, FINAL_LEARNING_RATE),
                 label="hard latents", progress=progress)
    with torch.no_grad():
        return [torch.round(y).clamp(-MAX_LATENT_RANGE, MAX_LATENT_RANGE) for y in encoder_latents]


def exact_latent_bits(context, grids: list[np.ndarray], ranges: list[int]) -> float:
    """What the coder spends on the latents (integer grids, finest first) under the integer context
    model ``context``: the coder's own table choice, priced with the tables themselves."""
    total = 0.0
    for level, grid in enumerate(grids):
        if not ranges[level]:
            continue
        padded = np.pad(grid, ((PAD, 0), (PAD, 0)))
        rows, columns = grid.shape
        neighbours = [16 * padded[PAD + dy:PAD + dy + rows, PAD + dx:PAD + dx + columns] for dy, dx in CONTEXT_OFFSETS]
        up = upsample_sixteenths(grids[level + 1], grid.shape) if level + 1 < len(grids) else np.zeros_like(grid)
        contexts = np.stack(neighbours + [up], axis=-1).reshape(-1, len(CONTEXT_OFFSETS) + 1)
        centres, scales, offsets = latent_tables(context, level, contexts, ranges[level])
        keys, inverse = np.unique(scales * 16 + offsets + 8, return_inverse=True)
        table = np.stack([symbol_bits(int(key) // 16, 2 * ranges[level], int(key) % 16 - 8) for key in keys])
        total += float(table[inverse, grid.reshape(-1) - centres + 2 * ranges[level]].sum())
    return total


def quantize_networks(network: LatentImage, grids: list[torch.Tensor], target: torch.Tensor,
                      known: torch.Tensor | None, rate_weight: float):
    """Quantize the synthesis (rate-distortion step search, as for weight-only models) and the context
    model (per tensor, the power-of-two step giving the fewest bits for the latents and itself,
    by coordinate descent from 2^-8). Returns (group headers, group integers, integer latent grids,
    latent ranges)."""
    height, width = network.config.signal_shape()
    names = [group.parameter for group in weight_groups(network)]
    context_groups = [i for i, name in enumerate(names) if name.startswith("context.")]

    def full_mse(model) -> float:
        squared = (model.synthesize(grids) - target) ** 2
        return float(squared.mean() if known is None else (squared * known).sum() / (known.sum() * target.shape[-1]))

    with torch.no_grad():
        step_indices = search_steps(network, full_mse, height * width, rate_weight, frozen=frozenset(context_groups))
    latents = [g.cpu().numpy().astype(np.int64) for g in grids]
    ranges = [int(np.abs(g).max()) for g in latents]

    def cost(position: int, exponent: int) -> float:
        step_indices[position] = 4 * exponent
        headers, integers = quantize(network, step_indices)
        if any(headers[i].max_abs and headers[i].step_index != step_indices[i] for i in context_groups):
            return math.inf  # a tensor too large for its step: the coder's range would be exceeded
        context = integer_context_model(dict(zip(names, integers)),
                                        {n: h.step_index for n, h in zip(names, headers)}, network.config)
        return exact_latent_bits(context, latents, ranges) + _bits(integers[position])

    for position in context_groups:
        step_indices[position] = 4 * DEFAULT_CONTEXT_EXPONENT
    for position in context_groups:
        exponent, best = DEFAULT_CONTEXT_EXPONENT, cost(position, DEFAULT_CONTEXT_EXPONENT)
        for direction in (1, -1):
            while MIN_CONTEXT_EXPONENT <= exponent + direction <= 0:
                trial = cost(position, exponent + direction)
                if trial >= best:
                    break
                exponent, best = exponent + direction, trial
        step_indices[position] = 4 * exponent
    headers, integers = quantize(network, step_indices)
    return headers, integers, latents, ranges


def _bits(integers: np.ndarray) -> float:
    return best_scale_index(integers)[1] if integers.any() else 0.0


__all__ = ["fit_latents", "quantize_networks", "exact_latent_bits", "soft_round", "latent_rate"]
