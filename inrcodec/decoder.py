"""Bitstream -> network -> pixels, in NumPy: the decoder imports nothing from the encoder's side and
no PyTorch (``tests/test_boundary.py`` holds it to that), so ``inrcodec decode`` starts quickly.

Every limit is checked on the parsed header before a weight is decoded: the output size, the
multiply-adds of decoding and rendering, and their memory (``render.DecodeLimits``).
"""

from __future__ import annotations

import numpy as np

from .bitstream import Bitstream, read_bitstream
from .entropy import CodedGroup, pop_groups, reading_payload
from .models.latent.coding import ContextModel
from .errors import InputError
from .models import ModelConfig, Network, build_network
from .models.latent.network import integer_context_model
from .quant import dequantize, group_sizes, step_from_index, weight_groups
from .render import DecodeLimits
from .signals import SignalKind, signal_type


def coded_groups(headers, sizes: list[int]) -> list[CodedGroup]:
    """What the entropy coder needs of each weight group (encoder and decoder alike)."""
    return [CodedGroup(size, header.max_abs, header.scale_index) for size, header in zip(sizes, headers)]


def context_model(config: ModelConfig, integers: list[np.ndarray], step_indices: list[int]) -> ContextModel:
    """The latent model's exact integer context model, taken from its decoded weight groups (encoder,
    decoder and ``read_info`` alike)."""
    return integer_context_model([g.parameter for g in weight_groups(config)], integers, step_indices, config)


def decode_symbols(stream: Bitstream) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The quantized weights of every group of the stream's network, then its latent grids (finest
    first; none for weight-only models), all from the one payload."""
    with reading_payload(stream.payload) as coder:
        integers = pop_groups(coder, coded_groups(stream.groups, group_sizes(stream.config)), stream.version)
        latents = []
        if stream.latent_ranges:
            context = context_model(stream.config, integers, [h.step_index for h in stream.groups])
            side_data = signal_type(stream.kind).side_data(stream.geometry, stream.side_data)  # a scene's hull
            latents = stream.config.decode_latents(coder, list(stream.latent_ranges), context, side_data)
    return integers, latents


def decode_network(stream: Bitstream, dtype=np.float32) -> Network:
    """The network of a parsed bitstream with its exact decoded weights (and latents): every value
    comes from the file. ``dtype`` float32 is the normative rendering; float64 renders a reference
    that bounds float32's rounding (the conformance tests)."""
    integers, latents = decode_symbols(stream)
    parameters = dequantize(stream.config, integers, [step_from_index(h.step_index) for h in stream.groups])
    parameters = {name: values.astype(dtype) for name, values in parameters.items()}
    return build_network(stream.config, parameters, latents if stream.latent_ranges else None)


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
           limits: DecodeLimits = DecodeLimits(), expect: SignalKind | None = None):
    """Decode a bitstream of any kind at its coded size, ``scale`` times it, or exactly ``size`` (in
    the kind's order: width × height for images); ``expect`` refuses a file of another kind."""
    stream = read_bitstream(data)
    kind = signal_type(stream.kind)
    if expect is not None and stream.kind != expect:
        raise InputError(f"this file holds {_article(kind.name)}, not {_article(signal_type(expect).name)}")
    plan = checked_plan(stream, scale, size, limits)
    side_data = kind.side_data(stream.geometry, stream.side_data)
    return kind.render(decode_network(stream), stream.geometry, plan, limits, side_data)


def decode_image(data: bytes, scale: float | None = None, size: tuple[int, int] | None = None,
                 *, limits: DecodeLimits = DecodeLimits()) -> np.ndarray:
    """Decode an image bitstream to ``(height, width, channels)`` uint8/uint16 pixels, at the encoded
    size, ``scale`` times it, or exactly ``size = (width, height)``."""
    return decode(data, scale, size, limits=limits, expect=SignalKind.IMAGE)


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
