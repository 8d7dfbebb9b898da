"""Weight groups: the unit that gets one quantization step and one entropy-model scale.

Every parameter tensor is a group, except the Chebyshev coefficients, which are split along the
degree axis into bands k ∈ [0,4), [4,8), [8,16), … : their magnitudes fall with degree like DCT
coefficients, so each band gets its own step and scale (DESIGN §3). The order of groups is the
order of ``model.named_parameters()`` and is part of the bitstream format.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..models import CoordinateNetwork

FIRST_BAND = 4  # degrees 0..3 (the smooth part) share one band; bands double from there


@dataclass(frozen=True)
class WeightGroup:
    parameter: str
    band: tuple[int, int] | None = None  # [start, stop) along the last axis, for banded tensors

    @property
    def label(self) -> str:
        if self.band is None:
            return self.parameter
        return f"{self.parameter}[k={self.band[0]}..{self.band[1] - 1}]"

    def select(self, tensor: torch.Tensor) -> torch.Tensor:
        return tensor if self.band is None else tensor[..., self.band[0]:self.band[1]]


def degree_bands(length: int) -> list[tuple[int, int]]:
    """[0, 4), [4, 8), [8, 16), … covering ``range(length)``; the last band takes the remainder."""
    bands, start, stop = [], 0, FIRST_BAND
    while start < length:
        stop = min(stop, length)
        if length - stop < stop - start:  # a short tail joins the band before it
            stop = length
        bands.append((start, stop))
        start, stop = stop, stop * 2
    return bands


def weight_groups(model: CoordinateNetwork) -> list[WeightGroup]:
    banded = model.banded_parameters()
    groups = []
    for name, _ in model.named_parameters():
        if name in banded:
            groups.extend(WeightGroup(name, band) for band in degree_bands(banded[name]))
        else:
            groups.append(WeightGroup(name))
    return groups


def group_values(parameters: dict[str, torch.Tensor], group: WeightGroup) -> torch.Tensor:
    """The group's weights as a flat tensor (differentiable: used in the rate term)."""
    return group.select(parameters[group.parameter]).reshape(-1)


def group_sizes(model: CoordinateNetwork) -> list[int]:
    parameters = dict(model.named_parameters())
    return [group.select(parameters[group.parameter]).numel() for group in weight_groups(model)]


@torch.no_grad()
def dequantize_into(model: CoordinateNetwork, integers: list[np.ndarray], steps: list[float]) -> None:
    """Set every weight of ``model`` to ``integer × step`` of its group (the decoder's last step)."""
    parameters = dict(model.named_parameters())
    for group, values, step in zip(weight_groups(model), integers, steps):
        target = group.select(parameters[group.parameter])
        decoded = torch.from_numpy(values.astype(np.float32) * np.float32(step))
        target.copy_(decoded.reshape(target.shape))
