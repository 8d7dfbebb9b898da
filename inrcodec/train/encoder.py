"""Signal -> bitstream: fit the network, choose quantization steps, fine-tune, quantize, code. Any
signal kind, through its registry entry (``signals.SignalType``).

The reported PSNR and SSIM are measured on the decoder's output for the very bytes returned,
and the rate is their length: nothing reported here is an estimate.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import asdict, dataclass

import constriction
import numpy as np
import torch

from ..bitstream import Bitstream, write_bitstream
from ..decoder import coded_groups, context_model, decode
from ..entropy import encode_groups, payload_bytes, push_groups
from ..errors import LimitError
from ..metrics import bits_per_pixel
from ..models import REGISTRY, LatentConfig, build_model
from ..models.latent.fit import fit_latent_model
from ..presets import DEFAULT_EFFORT, DEFAULT_QUALITY, effort_steps, schedules
from ..render import DecodeLimits
from ..signals import signal_encoding
from .fit import optimize
from .qat import fine_tune, quantize, search_steps
from .runtime import fit_threads, keep_freed_memory


@dataclass(frozen=True)
class EncodeResult:
    data: bytes
    kind: str  # "image" or "volume"
    geometry: dict  # the header's geometry fields
    model: str
    quality: int
    rate_weight: float  # λ the file was coded with (the level's, or what --bpp found)
    config: dict
    metrics: dict  # measured on the decoder's output of ``data``: image psnr (dB) and ssim (None with a
    # mask or below 7×7); volume iou (at the header's grid, against the source's inside test)
    fitted: dict  # the float network before quantization, on the fit's own measure (what coding cost):
    # image psnr (dB), volume accuracy (share of the fit's evaluation points classified right)
    seconds: float
    steps: int  # optimizer steps of the fit (the effort's, or --iters)
    target_bpp: float | None = None  # --bpp's target, where the rate was searched for
    encodes: int = 1  # encodes the rate search made

    @property
    def target_miss(self) -> float | None:
        """How far the file landed from ``target_bpp``: its rate over the target, less one."""
        return None if self.target_bpp is None else self.bpp / self.target_bpp - 1

    @property
    def bytes(self) -> int:
        return len(self.data)

    @property
    def width(self) -> int:
        return self.geometry["width"]

    @property
    def height(self) -> int:
        return self.geometry["height"]

    @property
    def channels(self) -> int:
        return self.geometry["channels"]

    @property
    def psnr(self) -> float:
        return self.metrics["psnr"]

    @property
    def ssim(self) -> float | None:
        return self.metrics["ssim"]

    @property
    def iou(self) -> float:
        return self.metrics["iou"]

    @property
    def fitted_psnr(self) -> float:
        return self.fitted["psnr"]

    @property
    def bpp(self) -> float:
        return bits_per_pixel(len(self.data), self.width, self.height)

    def summary(self) -> dict:
        """The machine-readable summary printed by ``inrcodec encode --json``: the file's size, the
        kind's geometry and measures, how it was coded."""
        rate = {"bpp": self.bpp} if self.kind == "image" else {}
        if self.target_bpp is not None:
            rate.update(target_bpp=self.target_bpp, target_miss=self.target_miss, encodes=self.encodes)
        return {"kind": self.kind, "bytes": self.bytes, **rate, **self.geometry, **self.metrics,
                **{f"fitted_{name}": value for name, value in self.fitted.items()},
                "model": self.model, "quality": self.quality, "rate_weight": self.rate_weight,
                "config": self.config, "seconds": self.seconds, "steps": self.steps}


def encode_signal(signal, *, quality: int = DEFAULT_QUALITY, model: str | None = None,
                  steps: int | None = None, effort: str = DEFAULT_EFFORT, device: torch.device = torch.device("cpu"),
                  seed: int = 0, progress: bool = False, known: np.ndarray | None = None,
                  rate_weight: float | None = None, overrides: dict | None = None,
                  learning_rate: float | None = None, precision: str = "auto", threads: int | None = None,
                  max_memory: int | None = None, objective=None) -> EncodeResult:
    """Fit, quantize and code ``signal`` (an image or a volume: ``signals``); ``steps`` defaults to
    the kind's times ``effort``'s factor (``presets.EFFORTS``), and ``model`` the kind's default family; ``known`` (bool, H×W) restricts an image's fit to those pixels. ``rate_weight``
    replaces the level's λ (rate control uses it); ``overrides`` replaces fields of the level's
    model config and ``learning_rate`` the family's starting learning rate (the lever benchmark uses both). ``precision`` is that of the latent model's training
    products: "auto" (bfloat16 where the CPU has it natively), "float32" or "bfloat16";
    ``objective``: another formulation of the image latent model's training loss (the speed
    benchmark passes the plain one).
    ``max_memory``: the bytes an encode may take (``default_encode_memory()``: ¾ of the machine's);
    a latent-model encode that would need more is refused before anything is fitted.
    ``threads``: the fit's CPU threads; by default every core while no other encode runs on the
    machine, one thread once another does (``runtime.fit_threads``). The process's allocator keeps
    freed memory from here on (``runtime.keep_freed_memory``)."""
    keep_freed_memory()
    start = time.perf_counter()
    kind = signal_encoding(signal.kind)
    model = kind.default_model if model is None else model
    entry = REGISTRY[model]
    geometry = signal.geometry
    sides = kind.sides(geometry)
    effort_default = effort_steps(kind.default_steps(quality, model), effort)  # checks the effort's name
    steps = effort_default if steps is None else steps
    config = dataclasses.replace(kind.model_config(model, quality, geometry), **(overrides or {}))
    try:  # a file the decoders would refuse with their default limits is not worth fitting
        DecodeLimits().check(kind.render_plan(config, geometry, sides))
    except LimitError as error:
        raise LimitError(f"quality {quality} with {model} on a {'x'.join(map(str, reversed(sides)))} "
                         f"{kind.name}: {error.args[0].split(' (raise')[0]}; "
                         f"{'choose a lower quality' if entry.weight_only else 'resize the picture'}"
                         ) from None
    if not entry.weight_only:  # the latent grids grow with the pixels
        _check_encode_memory(config, default_encode_memory() if max_memory is None else max_memory)

    with fit_threads(threads):
        # the initial weights come from a fork of torch's RNG seeded with `seed` (the caller's RNG state
        # is restored); batches and quantization noise from a generator of our own
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.device(device):
            torch.manual_seed(seed)
            network = build_model(config)
        generator = torch.Generator(device=device).manual_seed(seed)
        rate_weight = kind.rate_weight(model, quality) if rate_weight is None else rate_weight
        learning_rate = entry.learning_rate if learning_rate is None else learning_rate
        options = dict(rate_weight=rate_weight, steps=steps, learning_rate=learning_rate, generator=generator,
                       progress=progress, label=f"q{quality}")
        side_data = kind.pack_side_data(signal)
        if not entry.weight_only:
            headers, payload, latent_ranges, fitted = _code_latent_model(
                kind.latent_objective(signal, network, generator, known, precision, objective),
                side_data=kind.side_data(geometry, side_data), **options)
        else:
            headers, payload, latent_ranges, fitted = _code_weight_model(
                network, kind.objective(signal, generator, known), **options)
        stream = Bitstream(signal.kind, geometry, entry.id, config, tuple(headers), payload,
                           latent_ranges=tuple(latent_ranges), side_data=side_data)
        data = write_bitstream(stream)

        metrics = kind.measure(signal, decode(data, expect=signal.kind), known)
    return EncodeResult(data=data, kind=kind.name, geometry=asdict(geometry), model=model, quality=quality,
                        rate_weight=rate_weight, config=asdict(config), metrics=metrics, fitted=fitted,
                        seconds=time.perf_counter() - start, steps=steps)


def default_encode_memory() -> int:
    """¾ of this machine's physical memory (16 GB where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 3 // 4
    except (ValueError, OSError, AttributeError):
        return 16 << 30


def _check_encode_memory(config: LatentConfig, limit: int) -> None:
    needed = config.encode_bytes()
    if needed > limit:
        raise LimitError(f"encoding this {config.latent_width}x{config.latent_height} picture needs about "
                         f"{needed / 2**30:.1f} GB of memory, over the limit of {limit / 2**30:.1f} GB (3/4 of this "
                         "machine's unless --max-memory says otherwise); resize it or use a machine with more")


def _code_weight_model(network, objective, *, rate_weight: float, steps: int,
                       learning_rate: float, generator: torch.Generator, progress: bool, label: str):
    """Weight-only networks: fit, search a step per weight group, quantization-aware fine-tuning,
    quantize. Returns (group headers, payload, latent ranges (none), the float fit's measure)."""
    samples = objective.samples
    fit_schedule, tune_schedule = schedules(steps, learning_rate)

    def float_loss(_step: int):
        mse = objective.loss(network)
        return mse, mse.detach()

    optimize(network.parameters(), float_loss, fit_schedule, label=f"fit {label}", progress=progress,
             describe=objective.describe)
    fitted = objective.fit_measure(network)
    step_indices = search_steps(network, objective.distortion, samples, rate_weight)
    if tune_schedule.steps:
        fine_tune(network, objective.loss, step_indices, samples, rate_weight,
                  tune_schedule, generator=generator, progress=progress, describe=objective.describe)
    headers, integers = quantize(network, step_indices)
    return headers, encode_groups(integers, coded_groups(headers, [len(q) for q in integers])), [], fitted


def _code_latent_model(objective, *, rate_weight: float, steps: int, learning_rate: float,
                       generator: torch.Generator, progress: bool, label: str, side_data=None):
    """Latent grids: fit latents and networks under the rate, quantize the networks, then code the
    weights and, under the integer context model, the latents in one stream (``side_data``: what
    the decoder has besides, a scene's occupancy grid)."""
    headers, integers, latents, ranges, fitted_psnr = fit_latent_model(
        objective, rate_weight, steps, learning_rate, generator, progress, side_data)
    config = objective.network.config
    context = context_model(config, integers, [h.step_index for h in headers])
    coder = constriction.stream.stack.AnsCoder()
    config.encode_latents(coder, latents, ranges, context, side_data)  # pushed first: popped after the weights
    push_groups(coder, integers, coded_groups(headers, [len(q) for q in integers]))
    return headers, payload_bytes(coder), ranges, {"psnr": fitted_psnr}


__all__ = ["EncodeResult", "default_encode_memory", "encode_signal"]
