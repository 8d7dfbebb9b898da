"""Encoder-side quantization: choosing a step per weight group and quantization-aware fine-tuning.

Both minimise the same rate-distortion cost  J = MSE + λ · bits / pixels: the step search with the
bits of the coder's own integer tables (``rate.best_scale_index``), fine-tuning with their
differentiable Laplace counterpart (``rate.laplace_bits``):

1. ``search_steps``: coordinate descent over groups on the step index (half-octave moves, then
   quarter-octave), evaluating the quantized network on the whole signal — a group may end up
   with a step so coarse that it is all zeros and costs nothing (pruning falls out of it);
2. ``fine_tune``: the weights adapt to those steps, first under additive uniform noise
   (U(−Δ/2, Δ/2)), then with straight-through rounding;
3. ``quantize``: hard rounding, and each group's Laplace scale picked from the table.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch.func import functional_call

from ..bitstream import GroupHeader
from ..entropy import MAX_ABS_LIMIT
from ..models.trainable_base import CoordinateNetwork, Grid
from ..quant.groups import group_values, weight_groups
from ..quant.tables import MAX_STEP_INDEX, MIN_STEP_INDEX, step_from_index, step_index_near
from .fit import Schedule, optimize, psnr_postfix
from .rate import best_scale_index, laplace_bits


Loss = Callable[[Callable[[Grid], torch.Tensor]], torch.Tensor]


def _integers(values: torch.Tensor, step_index: int) -> np.ndarray:
    return torch.round(values.detach() / step_from_index(step_index)).cpu().numpy().astype(np.int64)


def _smallest_allowed_index(values: torch.Tensor) -> int:
    """The finest step whose integers stay within the coder's range."""
    peak = float(values.detach().abs().max()) if values.numel() else 0.0
    return step_index_near(peak / MAX_ABS_LIMIT) + 1 if peak > 0 else MIN_STEP_INDEX


def _group_bits(integers: np.ndarray) -> float:
    return 0.0 if not integers.any() else best_scale_index(integers)[1]


SEARCH_START_SHARE = 1 / 16  # of a group's spread: the step search's starting step unless told


@torch.no_grad()
def search_steps(model: CoordinateNetwork, distortion: Callable[[CoordinateNetwork], float],
                 pixels: int, rate_weight: float, frozen: frozenset[int] = frozenset(),
                 start_share: float = SEARCH_START_SHARE) -> list[int]:
    """Pick a step index per group minimising MSE + λ·bits/pixels of the quantized network; the
    groups numbered in ``frozen`` keep their float weights throughout (their indices are returned as
    placeholders, for the caller to choose). Each group starts at ``start_share`` of its spread and
    moves one group at a time, so the start must be near lossless where the distortion is sensitive.

    The model is left with its float weights; during the search it holds the quantized ones.
    """
    groups = weight_groups(model.config)
    parameters = dict(model.named_parameters())
    original = [group_values(parameters, g).detach().clone() for g in groups]
    floors = [_smallest_allowed_index(v) for v in original]
    # start at a fine step (a share of the group's spread), then let the search coarsen it
    indices = [max(floor, step_index_near(max(_spread(v), 1e-8) * start_share))
               for v, floor in zip(original, floors)]
    bits = [0.0 if n in frozen else _group_bits(_integers(v, i)) for n, (v, i) in enumerate(zip(original, indices))]
    searched = [number for number in range(len(groups)) if number not in frozen]

    def load(number: int, step: float | None) -> None:
        """Put group ``number``'s weights at their values quantized with ``step`` (None: float)."""
        target = groups[number].select(parameters[groups[number].parameter])
        values = original[number] if step is None else torch.round(original[number] / step) * step
        target.copy_(values.reshape(target.shape))

    for number in searched:
        load(number, step_from_index(indices[number]))
    for moves in ((-8, -6, -4, -2, 2, 4, 6, 8, 12), (-1, 1)):
        for number in searched:
            best = (distortion(model) + rate_weight * sum(bits) / pixels, indices[number], bits[number])
            for move in moves:
                index = min(MAX_STEP_INDEX, max(floors[number], indices[number] + move))
                load(number, step_from_index(index))
                trial_bits = _group_bits(_integers(original[number], index))
                cost = distortion(model) + rate_weight * (sum(bits) - bits[number] + trial_bits) / pixels
                if cost < best[0]:
                    best = (cost, index, trial_bits)
            _, indices[number], bits[number] = best
            load(number, step_from_index(indices[number]))
    for number in range(len(groups)):
        load(number, None)
    return indices


def _spread(values: torch.Tensor) -> float:
    return float(values.std()) if values.numel() > 1 else float(values.abs().max())


def fine_tune(model: CoordinateNetwork, loss: Loss, step_indices: list[int], pixels: int,
              rate_weight: float, schedule: Schedule, *, generator: torch.Generator,
              progress: bool, describe: Callable[[float], dict] = psnr_postfix) -> float:
    """Quantization-aware fine-tuning: noise for the first half of the steps, then straight-through
    rounding. Returns the last training MSE."""
    groups = weight_groups(model.config)
    steps = {g: step_from_index(i) for g, i in zip(groups, step_indices)}
    noisy_steps = schedule.steps // 2

    def loss_and_mse(step: int):
        parameters = dict(model.named_parameters())
        quantized = {}
        rate = 0.0
        for name, tensor in parameters.items():
            pieces = []
            for group in (g for g in groups if g.parameter == name):
                q = group.select(tensor) / steps[group]
                if step < noisy_steps:
                    noise = torch.rand(q.shape, generator=generator, device=generator.device)
                    q = q + noise.to(q.device) - 0.5
                else:
                    q = q + (torch.round(q) - q).detach()
                scale = q.detach().abs().mean().clamp_min(0.05)
                rate = rate + laplace_bits(q, scale)
                pieces.append(q * steps[group])
            quantized[name] = torch.cat(pieces, dim=-1) if len(pieces) > 1 else pieces[0]
        mse = loss(lambda grid: functional_call(model, quantized, (grid,)))
        return mse + rate_weight * rate / pixels, mse.detach()

    return optimize(model.parameters(), loss_and_mse, schedule, label="fine-tune", progress=progress,
                    describe=describe)


@torch.no_grad()
def quantize(model: CoordinateNetwork, step_indices: list[int]) -> tuple[list[GroupHeader], list[np.ndarray]]:
    """Hard-round every group; returns the group headers and integers the bitstream stores."""
    parameters = dict(model.named_parameters())
    headers, integers = [], []
    for group, index in zip(weight_groups(model.config), step_indices):
        values = group_values(parameters, group)
        index = max(index, _smallest_allowed_index(values))
        q = _integers(values, index)
        max_abs = int(np.abs(q).max()) if q.size else 0
        if max_abs == 0:
            headers.append(GroupHeader(0))
        else:
            headers.append(GroupHeader(max_abs, index, best_scale_index(q)[0]))
        integers.append(q.astype(np.int32))
    return headers, integers


__all__ = ["search_steps", "fine_tune", "quantize"]
