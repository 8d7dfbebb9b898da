"""Images as the decoder sees them: the header's geometry, the output size, and the normative
rendering at any size in tiles (NumPy)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...errors import BitstreamError, InputError, LimitError
from ...models import ModelConfig, Network
from ...render import RenderPlan, cell_centres, plan_render, render_tiles
from ..base import SignalKind, SignalType

MAX_SIDE = 65535


@dataclass(frozen=True)
class ImageGeometry:
    """What an image bitstream records about the picture itself."""

    width: int
    height: int
    channels: int  # 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    bit_depth: int  # 8 or 16

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def max_value(self) -> int:
        return (1 << self.bit_depth) - 1

    def validate(self) -> None:
        if not (1 <= self.width <= MAX_SIDE and 1 <= self.height <= MAX_SIDE):
            raise LimitError(f"image size {self.width}x{self.height} is outside 1..{MAX_SIDE} per side")
        if self.channels not in (1, 2, 3, 4):
            raise LimitError(f"{self.channels} channels: an image has 1 to 4")
        if self.bit_depth not in (8, 16):
            raise LimitError(f"bit depth {self.bit_depth}: only 8 and 16 are defined")


def output_size(geometry: ImageGeometry, scale: float | None,
                size: tuple[int, int] | None) -> tuple[int, int]:
    """``(width, height)`` to render: the encoded size, ``scale`` times it, or ``size``."""
    if scale is not None and size is not None:
        raise InputError("give either a scale or a size, not both")
    if size is not None:
        if len(size) != 2:
            raise InputError(f"an image's size is WIDTHxHEIGHT, not {'x'.join(map(str, size))}")
        width, height = size
        if width < 1 or height < 1:
            raise InputError(f"output size {width}x{height} must be positive")
    elif scale is not None:
        if not (math.isfinite(scale) and scale > 0):
            raise InputError(f"scale must be a positive number, not {scale}")
        width = max(1, round(geometry.width * scale))
        height = max(1, round(geometry.height * scale))
    else:
        width, height = geometry.width, geometry.height
    return width, height


def image_render_plan(config: ModelConfig, geometry: ImageGeometry, width: int, height: int) -> RenderPlan:
    """How a ``width × height`` rendering of ``config``'s network is tiled, and what it costs."""
    sample_bytes = 2 if geometry.bit_depth == 16 else 1
    return plan_render(config, (height, width), width * height * geometry.channels * sample_bytes)


def render_image(network: Network, geometry: ImageGeometry, plan: RenderPlan, dtype=np.float32) -> np.ndarray:
    """Evaluate ``network`` on the ``height × width`` pixel grid of ``plan``, one tile at a time.

    Returns ``(height, width, channels)`` uint8 or uint16. Only one tile's activations are alive at a
    time, so memory is the plan's: a tile plus the output array. ``dtype`` float32 is the normative
    rendering; float64 (with float64 weights) is a reference that bounds float32's rounding.
    """
    height, width = plan.shape
    out = np.empty((height, width, geometry.channels), dtype=np.uint16 if geometry.bit_depth == 16 else np.uint8)
    axes = (cell_centres(height, dtype), cell_centres(width, dtype))
    with np.errstate(all="ignore"):  # a hostile (but valid) file can make activations overflow
        for (rows, columns), tile in render_tiles(network, axes, plan):
            values = np.round(np.clip(np.nan_to_num(tile + 0.5, nan=0.0), 0, 1) * geometry.max_value)  # NaN: 0
            out[rows, columns] = values.astype(out.dtype)
    return out


class ImageType(SignalType):
    """Pictures: 2-D networks rendered to pixels as uint8/uint16."""

    kind = SignalKind.IMAGE
    name = "image"
    geometry_class = ImageGeometry

    def sides(self, geometry: ImageGeometry) -> tuple[int, int]:
        return (geometry.height, geometry.width)

    def channels(self, geometry: ImageGeometry) -> int:
        return geometry.channels

    def check_model(self, geometry: ImageGeometry, config: ModelConfig) -> None:
        if config.in_features != 2 or config.out_features != geometry.channels:
            raise BitstreamError(f"corrupt bitstream: a {config.in_features}-D model with "
                                 f"{config.out_features} outputs cannot render a "
                                 f"{geometry.channels}-channel image")
        shape = config.signal_shape()
        if shape is not None and shape != (geometry.height, geometry.width):
            raise BitstreamError(f"corrupt bitstream: latent grids of {shape[1]}x{shape[0]} do not match "
                                 f"the {geometry.width}x{geometry.height} image")

    def output_shape(self, geometry: ImageGeometry, scale, size) -> tuple[int, int]:
        width, height = output_size(geometry, scale, size)
        return (height, width)

    def render_plan(self, config: ModelConfig, geometry: ImageGeometry, shape: tuple[int, int]) -> RenderPlan:
        height, width = shape
        return image_render_plan(config, geometry, width, height)

    def render(self, network: Network, geometry: ImageGeometry, plan: RenderPlan, limits=None,
               side_data=None) -> np.ndarray:
        return render_image(network, geometry, plan)


IMAGE = ImageType()
