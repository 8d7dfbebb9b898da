"""Bitstream -> network -> pixels. Imports nothing from the training side (fit, quant.qat)."""

from __future__ import annotations

import numpy as np
import torch

from .bitstream import Bitstream, read_bitstream
from .entropy import CodedGroup, decode_groups
from .models import CoordinateNetwork, build_model
from .quant import dequantize_into, scale_from_index, step_from_index
from .quant.groups import group_sizes
from .signals.image import output_size, render_image

DEFAULT_MAX_OUTPUT_PIXELS = 1 << 26  # 67 MP (≈ 200 MB as RGB): a ×10 decode of a Kodak image;
# a 100-byte file may declare any size, so more must be asked for (--max-pixels)


def coded_groups(headers, sizes: list[int]) -> list[CodedGroup]:
    """What the entropy coder needs of each weight group (encoder and decoder alike)."""
    return [CodedGroup(size, header.max_abs, scale_from_index(header.scale_index))
            for size, header in zip(sizes, headers)]


def decode_integers(stream: Bitstream, model: CoordinateNetwork) -> list[np.ndarray]:
    """The quantized weights of every group of ``model`` (which may live on the meta device)."""
    return decode_groups(stream.payload, coded_groups(stream.groups, group_sizes(model)))


def decode_network(stream: Bitstream, device: torch.device | None = None) -> CoordinateNetwork:
    """Rebuild the network of a parsed bitstream with its exact decoded weights."""
    with torch.device(device or "cpu"):
        model = build_model(stream.config)
    dequantize_into(model, decode_integers(stream, model),
                    [step_from_index(h.step_index) for h in stream.groups])
    return model.requires_grad_(False)  # decoding never needs gradients


def decode_image(data: bytes, scale: float | None = None, size: tuple[int, int] | None = None,
                 *, device: torch.device | None = None,
                 max_pixels: int = DEFAULT_MAX_OUTPUT_PIXELS) -> np.ndarray:
    """Decode an image bitstream to ``(height, width, channels)`` uint8/uint16 pixels, at the encoded
    size, ``scale`` times it, or exactly ``size = (width, height)``."""
    stream = read_bitstream(data)
    width, height = output_size(stream.geometry, scale, size, max_pixels)  # before any allocation
    return render_image(decode_network(stream, device), stream.geometry, width, height)
