"""Encoder side of the latent-grid model: fitting latents and networks to an image under a rate
constraint, then quantizing the networks so that the integer context model codes the latents.

Training minimises  MSE + λ · bits / pixels, the bits being −log2 of each latent's probability under
the context network's Laplace(μ, b) — the continuous twin of the coder's tables. The latents are
``Q(y)`` for trained floats ``y`` learning 16 times faster than the networks in the first phase
(Cool-chic's encoder gain of 16 does the same under Adam); ``Q`` is soft rounding with Gaussian
noise for most of the steps, temperature 0.3 → 0.1 and noise 0.25 → 0.1 (C3's schedule). The
synthesis is then quantized (the rate-distortion step search of the weight-only models) and frozen,
and a last phase rounds the latents (straight-through gradients, learning rate 1e-4) so that they
and the context network adapt to the weights the decoder will have. Last, each context tensor gets
the power-of-two step that codes the latents and itself in the fewest bits, priced exactly.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .entropy.latents import CONTEXT_OFFSETS, MAX_LATENT_RANGE, PAD, latent_code_lengths
from .decoder import context_model
from .fit import Schedule, optimize, psnr_from_mse
from .models.latent import MIN_CONTEXT_EXPONENT, LatentImage
from .quant import best_scale_index, step_from_index, weight_groups
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


def fit_latent_model(network: LatentImage, target: torch.Tensor, known: torch.Tensor | None, rate_weight: float,
                     steps: int, learning_rate: float, generator: torch.Generator, progress: bool):
    """Fit and quantize: the soft phase trains latents and both networks; the synthesis is then
    quantized (rate-distortion step search) and frozen, so that the hard phase adapts the latents
    and the context network to the weights the decoder will have; last, the context model's steps.
    Returns (group headers, group integers, integer latent grids, their ranges, and the PSNR of the
    float networks on the rounded latents after the soft phase)."""
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

    optimize([{"params": list(network.parameters())},
              {"params": encoder_latents, "lr_scale": LATENT_LEARNING_RATE_SCALE}],
             lambda step: loss_and_mse(step, False, soft_steps),
             Schedule(soft_steps, learning_rate, learning_rate / 100), label="fit latents", progress=progress)

    names = [group.parameter for group in weight_groups(network)]
    context_groups = frozenset(i for i, name in enumerate(names) if name.startswith("context."))
    with torch.no_grad():
        grids = _rounded(encoder_latents)
        fitted_psnr = psnr_from_mse(float(distortion(network.synthesize(grids))))
        step_indices = search_steps(network, lambda model: float(distortion(model.synthesize(grids))),
                                    height * width, rate_weight, frozen=context_groups)
        _, integers = quantize(network, step_indices)
        parameters = dict(network.named_parameters())
        for group, values, index in zip(weight_groups(network), integers, step_indices):
            if not group.parameter.startswith("context."):  # the synthesis takes its decoded weights
                parameters[group.parameter].copy_(torch.from_numpy(values.astype(np.float32) * np.float32(
                    step_from_index(index))).reshape(parameters[group.parameter].shape))
    network.synthesis.requires_grad_(False)
    if steps - soft_steps > 0:
        optimize(list(network.context.parameters()) + encoder_latents,
                 lambda step: loss_and_mse(step, True, steps - soft_steps),
                 Schedule(steps - soft_steps, FINAL_LEARNING_RATE, FINAL_LEARNING_RATE),
                 label="hard latents", progress=progress)
    network.synthesis.requires_grad_(True)
    with torch.no_grad():
        latents = [g.cpu().numpy().astype(np.int64) for g in _rounded(encoder_latents)]
    headers, integers = quantize_context(network, latents, step_indices)
    return headers, integers, latents, [int(np.abs(g).max()) for g in latents], fitted_psnr


def _rounded(encoder_latents: list[torch.Tensor]) -> list[torch.Tensor]:
    return [torch.round(y).clamp(-MAX_LATENT_RANGE, MAX_LATENT_RANGE) for y in encoder_latents]


def quantize_context(network: LatentImage, latents: list[np.ndarray], step_indices: list[int]):
    """Give each context-model tensor the power-of-two step that codes the latents and itself in the
    fewest bits (coordinate descent from 2^-8, the coder's exact tables as the price); the other
    groups keep ``step_indices``. Returns ``quant.qat.quantize``'s (headers, integers)."""
    names = [group.parameter for group in weight_groups(network)]
    context_groups = [i for i, name in enumerate(names) if name.startswith("context.")]
    ranges = [int(np.abs(g).max()) for g in latents]
    step_indices = list(step_indices)

    def cost(position: int, exponent: int) -> float:
        step_indices[position] = 4 * exponent
        headers, integers = quantize(network, step_indices)
        if any(headers[i].max_abs and headers[i].step_index != step_indices[i] for i in context_groups):
            return math.inf  # a tensor too large for its step: the coder's range would be exceeded
        context = context_model(network, integers, [h.step_index for h in headers])
        return sum(latent_code_lengths(context, latents, ranges)) + _bits(integers[position])

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
    return quantize(network, step_indices)


def _bits(integers: np.ndarray) -> float:
    return best_scale_index(integers)[1] if integers.any() else 0.0


__all__ = ["fit_latent_model", "quantize_context", "soft_round", "latent_rate"]
