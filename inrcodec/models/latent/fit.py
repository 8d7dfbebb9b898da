"""Encoder side of the latent-grid model: fitting latents and networks to an image under a rate
constraint, then quantizing the networks so that the integer context model codes the latents.

Training minimises  MSE + λ · bits / pixels, the bits being −log2 of each latent's probability under
the context network's Laplace(μ, b) — the continuous twin of the coder's tables. The latents are
``Q(y)`` for trained floats ``y`` learning 16 times faster than the networks in the first phase
(Cool-chic's encoder gain of 16 does the same under Adam); the networks learn with SOAP, their
gradients clipped to norm 0.1 (Cool-chic 4's recipe: 12 % less rate than Adam in a screening,
benchmarks/RESULTS.md); ``Q`` is soft rounding with Gaussian
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
from tqdm.auto import tqdm

from ...decoder import context_model
from ...quant import step_from_index, weight_groups
from ...train.fit import Schedule, optimize, psnr_from_mse
from ...train.qat import quantize, search_steps
from ...train.rate import best_scale_index
from .coding import MAX_LATENT_RANGE
from .network import MIN_CONTEXT_EXPONENT
from .objective import LatentObjective
from .trainable import LatentImage


LATENT_LEARNING_RATE_SCALE = 16.0
FINAL_LEARNING_RATE = 1e-4
DEFAULT_CONTEXT_EXPONENT = -8  # context tensors start at steps of 2^-8
NETWORK_GRADIENT_NORM = 0.1  # the networks' gradients are clipped to it (Cool-chic's)
ANNOUNCE_AFTER_SECONDS = 120  # fits expected to take longer say so before going on


def fit_latent_model(objective: LatentObjective, rate_weight: float, steps: int, learning_rate: float,
                     generator: torch.Generator, progress: bool, side_data=None):
    """Fit and quantize: the soft phase trains latents and both networks; the synthesis is then
    quantized (rate-distortion step search) and frozen, so that the hard phase adapts the latents
    and the context network to the weights the decoder will have; last, the context model's steps.
    ``objective``: an image's (``LatentObjective``) or a scene's, whose ``samples`` are the unit of
    its rate term; ``side_data`` what the decoder's latents depend on besides the file's weights (a
    scene's occupancy grid). Returns (group headers, group integers, integer latent grids, their
    ranges, and the PSNR of the float networks on the rounded latents after the soft phase)."""
    network = objective.network
    encoder_latents = [torch.zeros(shape, device=generator.device, requires_grad=True)
                       for shape in network.config.latent_shapes()]
    soft_steps = max(1, round(objective.soft_share * steps)) if steps > 1 else steps

    def loss_and_mse(step: int, hard: bool, total: int):
        grids = [objective.quantize(y, step / max(1, total), hard, generator) for y in encoder_latents]
        return objective.backward(grids, rate_weight)

    bar = tqdm(total=steps, desc="fit latents", disable=not progress, leave=False, unit="step", dynamic_ncols=True)

    def announce(seconds: float) -> None:  # a long encode says what it will cost once a step is timed
        if progress and seconds * steps > ANNOUNCE_AFTER_SECONDS:
            bar.write(f"{steps} steps at {seconds:.2f} s: about {_duration(seconds * steps)} of training, "
                      "then coding")

    optimize([{"params": list(network.parameters()), "soap": True, "clip": NETWORK_GRADIENT_NORM},
              {"params": encoder_latents, "lr_scale": LATENT_LEARNING_RATE_SCALE}],
             lambda step: loss_and_mse(step, False, soft_steps),
             Schedule(soft_steps, learning_rate, learning_rate / 100), label="fit latents", progress=progress,
             bar=bar, timed=announce)

    names = [group.parameter for group in weight_groups(network.config)]
    context_groups = frozenset(i for i, name in enumerate(names) if name.startswith("context."))
    with torch.no_grad():
        rounded = _rounded(encoder_latents)
        features = objective.features(rounded)
        fitted_psnr = psnr_from_mse(float(objective.distortion(features)))
        upsampling = [p for name, p in network.named_parameters() if name.startswith("upsampling.")]
        cached = [tuple(p._version for p in upsampling), features]

        def distortion(_) -> float:  # a learned upsampling's weights move the features: re-render then
            versions = tuple(p._version for p in upsampling)
            if versions != cached[0]:
                cached[:] = versions, objective.features(rounded)
            return float(objective.distortion(cached[1]))

        step_indices = search_steps(network, distortion, objective.samples, rate_weight, frozen=context_groups,
                                    start_share=objective.search_start_share)
        _, integers = quantize(network, step_indices)
        parameters = dict(network.named_parameters())
        for group, values, index in zip(weight_groups(network.config), integers, step_indices):
            if not group.parameter.startswith("context."):  # the synthesis takes its decoded weights
                parameters[group.parameter].copy_(torch.from_numpy(values.astype(np.float32) * np.float32(
                    step_from_index(index))).reshape(parameters[group.parameter].shape))
    frozen = [p for name, p in network.named_parameters() if not name.startswith("context.")]
    for parameter in frozen:  # the synthesis (and learned upsampling) as the decoder will have them
        parameter.requires_grad_(False)
    if steps - soft_steps > 0:
        bar.set_description("hard latents")
        optimize([{"params": list(network.context.parameters()), "clip": NETWORK_GRADIENT_NORM},
                  {"params": encoder_latents}],
                 lambda step: loss_and_mse(step, True, steps - soft_steps),
                 Schedule(steps - soft_steps, FINAL_LEARNING_RATE, FINAL_LEARNING_RATE),
                 label="hard latents", progress=progress, bar=bar)
    bar.close()
    for parameter in frozen:
        parameter.requires_grad_(True)
    with torch.no_grad():
        latents = [g.cpu().numpy().astype(np.int64) for g in _rounded(encoder_latents)]
    headers, integers = quantize_context(network, latents, step_indices, side_data)
    return headers, integers, latents, [int(np.abs(g).max()) for g in latents], fitted_psnr


def _duration(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} hours"
    return "a minute" if seconds < 90 else f"{round(seconds / 60)} minutes"


def _rounded(encoder_latents: list[torch.Tensor]) -> list[torch.Tensor]:
    return [torch.round(y).clamp(-MAX_LATENT_RANGE, MAX_LATENT_RANGE) for y in encoder_latents]


def quantize_context(network: LatentImage, latents: list[np.ndarray], step_indices: list[int], side_data=None):
    """Give each context-model tensor the power-of-two step that codes the latents and itself in the
    fewest bits (coordinate descent from 2^-8, the coder's exact tables as the price); the other
    groups keep ``step_indices``. Returns ``quant.qat.quantize``'s (headers, integers)."""
    names = [group.parameter for group in weight_groups(network.config)]
    context_groups = [i for i, name in enumerate(names) if name.startswith("context.")]
    ranges = [int(np.abs(g).max()) for g in latents]
    step_indices = list(step_indices)

    def cost(position: int, exponent: int) -> float:
        step_indices[position] = 4 * exponent
        headers, integers = quantize(network, step_indices)
        if any(headers[i].max_abs and headers[i].step_index != step_indices[i] for i in context_groups):
            return math.inf  # a tensor too large for its step: the coder's range would be exceeded
        context = context_model(network.config, integers, [h.step_index for h in headers])
        return sum(network.config.code_lengths(context, latents, ranges, side_data)) + _bits(integers[position])

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


__all__ = ["fit_latent_model", "quantize_context"]
