"""The Python API, as simple as the CLI:

    data = inrcodec.encode_image("photo.png", quality=3)      # -> bytes
    pixels = inrcodec.decode_image(data, scale=4)             # -> (H, W, C) uint8 array
    data = inrcodec.encode_volume("bunny.ply")                # -> bytes (a mesh or a .npy grid)
    volume = inrcodec.decode_volume(data, size=256)           # -> Volume: .occupancy, .mesh()
    data = inrcodec.encode_scene("lego/", holdout=10)         # -> bytes (a Blender folder or .npz)
    scene = inrcodec.decode_scene(data, scale=2)              # -> DecodedScene
    views = scene.render(scene.orbit(8))                      # -> (8, H, W, 3) uint8
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from typing import TYPE_CHECKING

import numpy as np

from .bitstream import read_bitstream
from .decoder import checked_plan, context_model, decode_symbols
from .decoder import decode as _decode
from .decoder import decode_image as _decode_image
from .device import check_decode_device
from .entropy import code_length
from .models import REGISTRY, entry_for_id
from .presets import DEFAULT_EFFORT, DEFAULT_QUALITY, PRECISIONS, QUALITY_LEVELS
from .signals.image.presets import DEFAULT_MODEL
from .quant import group_sizes, step_from_index, weight_groups
from .render import DEFAULT_MAX_MACS, DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_SAMPLES, DecodeLimits
from .signals import SignalKind, signal_type, source_kind
from .signals.scene.decode import DecodedScene
from .signals.volume.decode import Volume

if TYPE_CHECKING:  # the encoder (and PyTorch) load on the first encode, never for a decode
    from .train.encoder import EncodeResult

ImageSource = str | os.PathLike | np.ndarray | bytes  # a path, an array, or a file's bytes


def encode(source: ImageSource, *, quality: int = DEFAULT_QUALITY, bpp: float | None = None,
           model: str | None = None, iterations: int | None = None, device: str = "auto",
           seed: int = 0, progress: bool = False, mask: ImageSource | None = None,
           precision: str = "auto", threads: int | None = None, effort: str = DEFAULT_EFFORT,
           max_memory: int | None = None) -> EncodeResult:
    """Compress an image (a path, or a uint8/uint16 array ``(H, W[, C])``) and report on it; a path
    to a shape (``.ply .obj .off .stl .npy``) goes to ``encode_volume`` with the default options.

    With ``bpp``, the rate is searched instead (``rate_control``): for the latent model, the rate
    weight λ that gives a file within ±5 % of ``bpp`` bits per pixel (two or three encodes, at most
    five, or eight while they converge); for the weight-only models, the highest level within ``bpp``
    (up to three encodes); the result's ``target_miss`` says where the file landed. With
    ``mask``
    (a picture or array of the image's size, white/nonzero = known), only the known pixels are
    fitted and the network fills in the rest (inpainting). ``model`` defaults to the kind's
    (``latent`` for images, ``sl2a`` for shapes). ``precision`` ("auto", "float32", "bfloat16"):
    the latent model's training arithmetic; "auto" takes bfloat16 where the CPU has it natively.
    ``threads``: the fit's CPU threads; by default every core while no other encode runs on the
    machine, one thread once another does (the same seed gives the same bytes at the same count).
    ``effort`` ("draft", "fast", "default", "thorough") sets the steps (1/16, ¼, 1 or 2 times the default; an
    explicit ``iterations`` wins); ``max_memory``: bytes the encode may take (default ¾ of the
    machine's memory), checked before anything is fitted.
    """
    from .device import resolve_device
    from .train.encoder import encode_signal
    from .train.rate_control import encode_latent_at_rate, encode_level_within_rate
    from .signals.image.io import load_image, load_mask

    kind = source_kind(source) if isinstance(source, (str, os.PathLike)) else SignalKind.IMAGE
    if kind is not SignalKind.IMAGE:
        if bpp is not None or mask is not None:
            raise ValueError("bpp and mask apply to images; a shape takes max_bytes (encode_volume)")
        encoder = encode_volume if kind is SignalKind.VOLUME else encode_scene
        return encoder(source, quality=quality, model=model, iterations=iterations, device=device, seed=seed,
                       progress=progress, threads=threads, effort=effort)
    signal = load_image(source)
    known = None if mask is None else load_mask(mask, signal.geometry.height, signal.geometry.width)
    torch_device = resolve_device(device)
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    options = dict(model=model, steps=iterations, device=torch_device, seed=seed, progress=progress,
                   known=known, precision=precision, threads=threads, effort=effort, max_memory=max_memory)
    if quality not in QUALITY_LEVELS:
        raise ValueError(f"quality must be one of {QUALITY_LEVELS}")
    if bpp is None:
        return encode_signal(signal, quality=quality, **options)
    if not bpp > 0:
        raise ValueError("the target bpp must be positive")
    if not REGISTRY[model or DEFAULT_MODEL].weight_only:
        return encode_latent_at_rate(
            lambda weight: encode_signal(signal, quality=quality, rate_weight=weight, **options), bpp)
    return encode_level_within_rate(lambda level: encode_signal(signal, quality=level, **options), bpp)


ShapeSource = str | os.PathLike | np.ndarray | tuple  # a mesh or .npy path, a 3-D grid, (vertices, faces)


def encode_volume(source: ShapeSource, *, quality: int = DEFAULT_QUALITY, max_bytes: int | None = None,
                  model: str | None = None, size: int | None = None, iterations: int | None = None,
                  device: str = "auto", seed: int = 0, progress: bool = False,
                  threads: int | None = None, effort: str = DEFAULT_EFFORT) -> EncodeResult:
    """Compress a shape — a mesh file (trimesh reads it) or ``(vertices, faces)``, a ``.npy`` file or a
    3-D array (bool/integer occupancy, nonzero inside; or float signed distance, negative inside) —
    as an occupancy network, and report on it (``metrics["iou"]`` at the file's grid).

    ``size`` is a mesh's default decoding grid (its longest side; 128 unless given); ``max_bytes``
    picks the highest quality level whose file fits (bisection over levels, up to three encodes)."""
    from .device import resolve_device
    from .train.encoder import encode_signal
    from .train.rate_control import encode_level_within_rate
    from .signals.volume.io import load_shape

    if quality not in QUALITY_LEVELS:
        raise ValueError(f"quality must be one of {QUALITY_LEVELS}")
    signal = load_shape(source, side=size)
    options = dict(model=model, steps=iterations, device=resolve_device(device), seed=seed, progress=progress,
                   threads=threads, effort=effort)
    if max_bytes is None:
        return encode_signal(signal, quality=quality, **options)
    if not max_bytes > 0:
        raise ValueError("the byte budget must be positive")
    return encode_level_within_rate(lambda level: encode_signal(signal, quality=level, **options),
                                    max_bytes, size_of=lambda result: result.bytes)


def encode_scene(source: str | os.PathLike, *, quality: int = DEFAULT_QUALITY, model: str | None = None,
                 size: int | None = None, holdout: int = 0, iterations: int | None = None, device: str = "auto",
                 seed: int = 0, progress: bool = False, threads: int | None = None,
                 effort: str = DEFAULT_EFFORT) -> EncodeResult:
    """Compress a scene — a Blender-synthetic folder (``transforms_train.json`` + RGBA PNGs) or a
    ``.npz`` of ``images_rgba``, ``poses`` and ``focal`` — as a radiance field and its occupancy
    grid, trained on views whose longer side is ``size`` (default 100); every ``holdout``-th view is
    kept out of training and ``metrics`` reports PSNR/SSIM on those (else on training views);
    ``threads`` and ``effort`` as for ``encode``."""
    from .device import resolve_device
    from .train.encoder import encode_signal
    from .signals.scene.io import load_scene

    if quality not in QUALITY_LEVELS:
        raise ValueError(f"quality must be one of {QUALITY_LEVELS}")
    signal = load_scene(source, size=size, holdout=holdout)
    return encode_signal(signal, quality=quality, model=model, steps=iterations, device=resolve_device(device),
                         seed=seed, progress=progress, threads=threads, effort=effort)


def decode_scene(data: bytes, scale: float | None = None, size: tuple[int, int] | None = None, *,
                 device: str = "cpu", max_macs: int = DEFAULT_MAX_MACS,
                 max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES) -> DecodedScene:
    """Decode a scene; its views render at ``scale`` times the encoded size or ``size = (width,
    height)``: ``scene.render(scene.orbit(n))`` or ``scene.render(scene.cameras(poses))``. The
    rendering work of any one view is refused past ``max_macs``."""
    check_decode_device(device)  # decoding runs in NumPy on the CPU
    limits = DecodeLimits(DEFAULT_MAX_SAMPLES, max_macs, max_memory_bytes)
    return _decode(data, scale, size, limits=limits, expect=SignalKind.SCENE)


def decode(data: bytes, scale: float | None = None, size: tuple[int, ...] | None = None, *, device: str = "cpu",
           max_samples: int = DEFAULT_MAX_SAMPLES, max_macs: int = DEFAULT_MAX_MACS,
           max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES):
    """Decode a file of any kind: an image's pixels (``size = (width, height)``) or a ``Volume``
    (``size = (N,)`` for the longest side, or three sides)."""
    check_decode_device(device)  # decoding runs in NumPy on the CPU
    limits = DecodeLimits(max_samples, max_macs, max_memory_bytes)
    return _decode(data, scale, size, limits=limits)


def read_kind(data: bytes) -> str:
    """What a bitstream holds ("image", "volume" or "scene"), from its validated header."""
    return read_bitstream(data).kind.name.lower()


def decode_volume(data: bytes, size: int | tuple[int, int, int] | None = None, *, scale: float | None = None,
                  device: str = "cpu", max_samples: int = DEFAULT_MAX_SAMPLES, max_macs: int = DEFAULT_MAX_MACS,
                  max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES) -> Volume:
    """Decode a shape on a grid of ``size`` (the longest side, or three sides; default the coded
    grid) or ``scale`` times the coded grid; the ``Volume`` gives ``occupancy`` and ``mesh()``
    (marching cubes, in the source's coordinates). Limits as for ``decode_image``."""
    check_decode_device(device)  # decoding runs in NumPy on the CPU
    limits = DecodeLimits(max_samples, max_macs, max_memory_bytes)
    size = (size,) if isinstance(size, int) else size
    return _decode(data, scale, size, limits=limits, expect=SignalKind.VOLUME)


def encode_image(source: ImageSource, **options) -> bytes:
    """Compress an image to inrcodec bytes; ``options`` as for ``encode``."""
    return encode(source, **options).data


def decode_image(data: bytes, scale: float | None = None, size: tuple[int, int] | None = None, *,
                 device: str = "cpu", max_pixels: int = DEFAULT_MAX_SAMPLES, max_macs: int = DEFAULT_MAX_MACS,
                 max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES) -> np.ndarray:
    """Decode to ``(height, width, channels)`` pixels at any ``scale`` or ``size=(width, height)``.

    A file is refused (``LimitError``), before any weight is decoded, if its rendering would exceed
    ``max_pixels`` output pixels, ``max_macs`` multiply-adds (the default is about 10 s of a 2-core
    CPU) or ``max_memory_bytes``: a file of a few bytes can declare a network that would otherwise
    compute for hours."""
    check_decode_device(device)  # decoding runs in NumPy on the CPU
    limits = DecodeLimits(max_pixels, max_macs, max_memory_bytes)
    return _decode_image(data, scale, size, limits=limits)


@dataclass(frozen=True)
class GroupInfo:
    label: str
    weights: int
    step: float
    max_abs: int
    bits: float  # its code length under its table of the coder (the payload is one stream; version-1
    # files, coded under constriction's float tables, are priced under the equivalent integer table)


@dataclass(frozen=True)
class LatentGridInfo:
    shape: tuple[int, ...]  # (rows, columns) of an image's grid, (x, y, z) of a scene's
    coded: int  # latents in the file (a scene codes only those its occupancy grid can reach)
    max_abs: int
    bits: float  # their code length under the context model's tables


@dataclass(frozen=True)
class StreamInfo:
    format_version: int
    signal: str
    geometry: dict
    model: str
    config: dict
    bytes: int
    header_bytes: int
    payload_bytes: int
    groups: tuple[GroupInfo, ...]
    latent_grids: tuple[LatentGridInfo, ...] = ()  # latent models only, finest first
    side_data_bytes: int = 0  # scenes: the occupancy grid


SINGLE_SAMPLE_SCALE = 1e-9  # any kind's output rounds up to one sample: the plan is the symbols' decode


def read_info(data: bytes, *, max_samples: int = DEFAULT_MAX_SAMPLES, max_macs: int = DEFAULT_MAX_MACS,
              max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES) -> StreamInfo:
    """Header fields and a size breakdown by weight group (and latent grid), without rendering.
    Reading the breakdown decodes every symbol, so a file is refused (``LimitError``) under the
    same limits as ``decode``, checked first: its plan is a decode to a single sample."""
    stream = read_bitstream(data)
    checked_plan(stream, SINGLE_SAMPLE_SCALE, None, DecodeLimits(max_samples, max_macs, max_memory_bytes))
    sizes = group_sizes(stream.config)
    integers, latents = decode_symbols(stream)
    grids = ()
    if latents:
        context = context_model(stream.config, integers, [h.step_index for h in stream.groups])
        side_data = signal_type(stream.kind).side_data(stream.geometry, stream.side_data)
        lengths = stream.config.code_lengths(context, latents, list(stream.latent_ranges), side_data)
        coded = stream.config.coded_latents(side_data)
        grids = tuple(LatentGridInfo(grid.shape, count, latent_range, bits)
                      for grid, count, latent_range, bits in zip(latents, coded, stream.latent_ranges, lengths))
    groups = tuple(
        GroupInfo(group.label, size, step_from_index(header.step_index) if header.max_abs else 0.0,
                  header.max_abs, code_length(q, header.scale_index, header.max_abs) if header.max_abs else 0.0)
        for group, size, header, q in zip(weight_groups(stream.config), sizes, stream.groups, integers))
    return StreamInfo(stream.version, stream.kind.name.lower(), vars(stream.geometry).copy(),
                      entry_for_id(stream.model_id).name, vars(stream.config).copy(), len(data),
                      len(data) - len(stream.payload) - 4, len(stream.payload), groups, grids, len(stream.side_data))
