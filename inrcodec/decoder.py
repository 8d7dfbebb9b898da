"""Bitstream -> network -> pixels. Imports nothing from the training side (fit, quant.qat).

Every limit is checked on the parsed header before a weight is decoded: the output size, the
multiply-adds of decoding and rendering, and their memory (``render.DecodeLimits``).
"""

from __future__ import annotations

import numpy as np
import torch

from .bitstream import Bitstream, read_bitstream
from .entropy import CodedGroup, pop_groups, reading_payload
from .entropy.latents import decode_latents
from .models import CoordinateNetwork, build_model
from .entropy.latents import ContextModel
from .models.latent import integer_context_model
from .quant import dequantize_into, step_from_index, weight_groups
from .quant.groups import group_sizes
from .errors import InputError
from .render import DecodeLimits
from .signals import SignalKind, signal_type


def coded_groups(headers, sizes: list[int]) -> list[CodedGroup]:
    """What the entropy coder needs of each weight group (encoder and decoder alike)."""
    return [CodedGroup(size, header.max_abs, header.scale_index) for size, header in zip(sizes, headers)]


def context_model(model: CoordinateNetwork, integers: list[np.ndarray], step_indices: list[int]) -> ContextModel:
    """The latent model's exact integer context model, taken from its decoded weight groups (encoder,
    decoder and ``read_info`` alike)."""
    return integer_context_model([g.parameter for g in weight_groups(model)], integers, step_indices, model.config)


def decode_symbols(stream: Bitstream, model: CoordinateNetwork) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The quantized weights of every group of ``model`` (which may live on the meta device), then
    its latent grids (finest first; none for weight-only models), all from the one payload."""
    with reading_payload(stream.payload) as coder:
        integers = pop_groups(coder, coded_groups(stream.groups, group_sizes(model)), stream.version)
        latents = []
        if stream.latent_ranges:
            context = context_model(model, integers, [h.step_index for h in stream.groups])
            latents = decode_latents(coder, stream.config.latent_shapes(), list(stream.latent_ranges), context)
    return integers, latents


def decode_network(stream: Bitstream, device: torch.device | None = None) -> CoordinateNetwork:
    """Rebuild the network of a parsed bitstream with its exact decoded weights (and latents). The
    network is built on the meta device and given empty storage, so decoding draws no random numbers
    (the caller's generators are untouched) and every value comes from the file."""
    with torch.device("meta"):
        model = build_model(stream.config)
    model = model.to_empty(device=device or "cpu")
    integers, latents = decode_symbols(stream, model)
    dequantize_into(model, integers, [step_from_index(h.step_index) for h in stream.groups])
    if latents:
        model.set_latents([torch.from_numpy(grid.astype(np.float32)) for grid in latents])
    return model.requires_grad_(False)  # decoding never needs gradients


def checked_plan(stream: Bitstream, scale: float | None, size: tuple[int, ...] | None, limits: DecodeLimits):
    """How ``stream`` renders at the size asked for, refused (``LimitError``) if that is over
    ``limits``: checked before any weight or latent is decoded or any activation allocated (the
    decoder and ``read_info`` alike, which decodes every symbol)."""
    kind = signal_type(stream.kind)
    shape = kind.output_shape(stream.geometry, scale, size)
    limits.check_samples(shape)
    plan = kind.render_plan(stream.config, stream.geometry, shape)
    limits.check(plan)
    return plan


def decode(data: bytes, scale: float | None = None, size: tuple[int, ...] | None = None, *,
           device: torch.device | None = None, limits: DecodeLimits = DecodeLimits(),
           expect: SignalKind | None = None):
    """Decode a bitstream of any kind at its coded size, ``scale`` times it, or exactly ``size`` (in
    the kind's order: width × height for images); ``expect`` refuses a file of another kind."""
    stream = read_bitstream(data)
    kind = signal_type(stream.kind)
    if expect is not None and stream.kind != expect:
        raise InputError(f"this file holds {_article(kind.name)}, not {_article(signal_type(expect).name)}")
    plan = checked_plan(stream, scale, size, limits)
    side_data = kind.side_data(stream.geometry, stream.side_data)
    return kind.render(decode_network(stream, device), stream.geometry, plan, limits, side_data)


def decode_image(data: bytes, scale: float | None = None, size: tuple[int, int] | None = None,
                 *, device: torch.device | None = None, limits: DecodeLimits = DecodeLimits()) -> np.ndarray:
    """Decode an image bitstream to ``(height, width, channels)`` uint8/uint16 pixels, at the encoded
    size, ``scale`` times it, or exactly ``size = (width, height)``."""
    return decode(data, scale, size, device=device, limits=limits, expect=SignalKind.IMAGE)


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
