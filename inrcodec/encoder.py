"""Image -> bitstream: fit the network, choose quantization steps, fine-tune, quantize, code.

The reported PSNR and SSIM are measured on the decoder's output for the very bytes returned,
and the rate is their length: nothing reported here is an estimate.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .bitstream import Bitstream, write_bitstream
from .decoder import coded_groups, decode_image
from .entropy import encode_groups
from .errors import LimitError
from .fit import optimize, psnr_from_mse
from .metrics import bits_per_pixel, psnr, ssim
from .models import REGISTRY, build_model
from .presets import DEFAULT_QUALITY, DEFAULT_STEPS, batch_pixels, model_config, preset, schedules
from .quant.qat import fine_tune, quantize, search_steps
from .render import DecodeLimits
from .signals import SignalKind
from .signals.image import ImageObjective, ImageSignal, image_render_plan

@dataclass(frozen=True)
class EncodeResult:
    data: bytes
    width: int
    height: int
    channels: int
    model: str
    quality: int
    config: dict
    psnr: float  # dB, decoded bitstream vs input (over the known pixels when a mask was given)
    ssim: float | None  # whole picture; None with a mask (unknown pixels have no truth) or below 7×7
    fitted_psnr: float  # dB, the float network before quantization (what coding cost)
    seconds: float

    @property
    def bytes(self) -> int:
        return len(self.data)

    @property
    def bpp(self) -> float:
        return bits_per_pixel(len(self.data), self.width, self.height)

    def summary(self) -> dict:
        """The machine-readable summary printed by ``inrcodec encode --json``."""
        fields = asdict(self)
        fields.pop("data")
        return {"bpp": self.bpp, "bytes": self.bytes, **fields}


def encode_signal(signal: ImageSignal, *, quality: int = DEFAULT_QUALITY, model: str = "sl2a",
                  steps: int = DEFAULT_STEPS, device: torch.device = torch.device("cpu"),
                  seed: int = 0, progress: bool = False, known: np.ndarray | None = None) -> EncodeResult:
    """Fit, quantize and code ``signal``; ``known`` (bool, H×W) restricts the fit to those pixels."""
    start = time.perf_counter()
    entry = REGISTRY[model]
    geometry = signal.geometry
    level = preset(quality)
    config = model_config(model, quality, geometry.width, geometry.height, geometry.channels)
    try:  # a file the decoders would refuse with their default limits is not worth fitting
        DecodeLimits().check(image_render_plan(config, geometry, geometry.width, geometry.height))
    except LimitError as error:
        raise LimitError(f"quality {quality} with {model} on a {geometry.width}x{geometry.height} "
                         f"picture: {error.args[0].split(' (raise')[0]}; choose a lower quality") from None

    # the initial weights come from a fork of torch's RNG seeded with `seed` (the caller's RNG state
    # is restored); batches and QAT noise from a generator of our own
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.device(device):
        torch.manual_seed(seed)
        network = build_model(config)
    generator = torch.Generator(device=device).manual_seed(seed)
    objective = ImageObjective(signal, device, batch_pixels(geometry.pixels), generator, known)
    fit_schedule, tune_schedule = schedules(steps, entry.learning_rate)

    def float_loss(_step: int):
        mse = objective.loss(network)
        return mse, mse.detach()

    optimize(network.parameters(), float_loss, fit_schedule, label=f"fit q{quality}", progress=progress)
    fitted_psnr = psnr_from_mse(objective.full_mse(network))

    step_indices = search_steps(network, objective.full_mse, geometry.pixels, level.rate_weight)
    if tune_schedule.steps:
        fine_tune(network, objective.loss, step_indices, geometry.pixels, level.rate_weight,
                  tune_schedule, generator=generator, progress=progress)
    headers, integers = quantize(network, step_indices)

    coded = coded_groups(headers, [len(q) for q in integers])
    stream = Bitstream(SignalKind.IMAGE, geometry, entry.id, config, tuple(headers),
                       encode_groups(integers, coded))
    data = write_bitstream(stream)

    decoded = decode_image(data)
    if known is None:
        quality_db, similarity = psnr(signal.pixels, decoded), ssim(signal.pixels, decoded)
    else:
        quality_db, similarity = psnr(signal.pixels[known], decoded[known]), None
    return EncodeResult(
        data=data, width=geometry.width, height=geometry.height, channels=geometry.channels,
        model=model, quality=quality, config=asdict(config), psnr=quality_db, ssim=similarity,
        fitted_psnr=fitted_psnr, seconds=time.perf_counter() - start)


__all__ = ["EncodeResult", "encode_signal"]
