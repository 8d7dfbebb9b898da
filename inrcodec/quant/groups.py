"""Weight groups: the unit that gets one quantization step and one entropy-model scale.

Every parameter tensor is a group, except the Chebyshev coefficients, which are split along the
degree axis into bands k ∈ [0,4), [4,8), [8,16), … : their magnitudes fall with degree like DCT
coefficients, so each band gets its own step and scale. The order of groups is the
order of ``ModelConfig.parameter_shapes()`` and is part of the bitstream format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..models import ModelConfig, Parameters

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

    def select(self, tensor):
        """The group's part of its parameter (an array or a tensor)."""
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


def weight_groups(config: ModelConfig) -> list[WeightGroup]:
    banded = config.banded_parameters()
    groups = []
    for name, _ in config.parameter_shapes():
        if name in banded:
            groups.extend(WeightGroup(name, band) for band in degree_bands(banded[name]))
        else:
            groups.append(WeightGroup(name))
    return groups


def group_values(parameters: dict, group: WeightGroup):
    """The group's weights as a flat tensor (differentiable: used in the rate term)."""
    return group.select(parameters[group.parameter]).reshape(-1)


def group_sizes(config: ModelConfig) -> list[int]:
    """Weights in each group, from the config alone (nothing is allocated: a header may declare any size)."""
    shapes = dict(config.parameter_shapes())
    sizes = []
    for group in weight_groups(config):
        shape = shapes[group.parameter]
        if group.band is not None:
            shape = (*shape[:-1], group.band[1] - group.band[0])
        sizes.append(math.prod(shape))
    return sizes


def dequantize(config: ModelConfig, integers: list[np.ndarray], steps: list[float]) -> Parameters:
    """Every weight as ``float32(integer) × float32(step)`` of its group, as float32 arrays by
    parameter name (the decoder's last step before rendering)."""
    shapes = dict(config.parameter_shapes())
    parameters = {name: np.empty(shape, dtype=np.float32) for name, shape in shapes.items()}
    for group, values, step in zip(weight_groups(config), integers, steps):
        target = group.select(parameters[group.parameter])
        target[...] = (values.astype(np.float32) * np.float32(step)).reshape(target.shape)
    return parameters
