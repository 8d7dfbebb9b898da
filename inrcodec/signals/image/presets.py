"""Images' quality levels: named presets that pick the network's size, the rate weight λ and the budget.

A preset is defined for a 256×256 image; the network is scaled to the image so that the number of
coded weights per pixel — what sets the rate — stays about the same at every size: the width grows
with the square root of the pixel count and the Chebyshev degree with the longer side.
Level 1 gives the smallest files; every level codes at least as many weights as the one below,
with a smaller λ, so a higher level never gives a smaller file.

The baselines get, at every level, the widest network of their family with no more parameters
than SL²A has at that level, so every model spans the same range of rates at matched size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ...errors import InputError
from ...models import REGISTRY, LatentConfig, ModelConfig, Sl2aConfig
from ...presets import QUALITY_LEVELS

REFERENCE_SIDE = 256
MIN_WIDTH, MAX_WIDTH = 8, 512
MIN_DEGREE, MAX_DEGREE = 4, 1024


@dataclass(frozen=True)
class QualityPreset:
    """One quality level, as it applies to a 256×256 image."""

    level: int
    width: int  # hidden width of the fusion MLP = outputs of the Chebyshev block
    degree: int  # Chebyshev degree D along a 256-pixel side
    hidden_layers: int
    rate_weight: float  # λ in MSE + λ·bpp (MSE of values in [-½, ½])


PRESETS = (
    QualityPreset(1, width=14, degree=24, hidden_layers=3, rate_weight=6e-3),
    QualityPreset(2, width=16, degree=32, hidden_layers=3, rate_weight=4e-3),
    QualityPreset(3, width=20, degree=48, hidden_layers=3, rate_weight=2e-3),
    QualityPreset(4, width=26, degree=64, hidden_layers=3, rate_weight=1e-3),
    QualityPreset(5, width=34, degree=80, hidden_layers=3, rate_weight=5e-4),
    QualityPreset(6, width=44, degree=96, hidden_layers=3, rate_weight=2.5e-4),
    QualityPreset(7, width=56, degree=128, hidden_layers=3, rate_weight=1.2e-4),
)
DEFAULT_MODEL = "latent"  # beats every weight-only network at every rate (benchmarks/RESULTS.md)
DEFAULT_STEPS = 2000  # optimizer steps in all (float fit + fine-tuning); --iters overrides
MIN_BATCH_SAMPLES, MAX_BATCH_SAMPLES = 1 << 14, 1 << 18


@dataclass(frozen=True)
class LatentPreset:
    """One quality level of the latent-grid model: its rate weight λ (MSE of values in [-½, ½] +
    λ·bpp) and the size of its networks."""

    level: int
    rate_weight: float
    width: int = 24  # synthesis
    hidden_layers: int = 0  # one hidden layer cost 6.5 % more rate (benchmarks/RESULTS.md, levers)
    degree: int = 0  # an SL²A block (degree 2) cost 17 % more rate
    rank: int = 0
    context_width: int = 16
    upsampling: int = 2  # learned (a filter cascade): less rate than bicubic (benchmarks/RESULTS.md, levers)


LATENT_PRESETS = tuple(LatentPreset(level, rate_weight) for level, rate_weight in
                       enumerate((1.6e-2, 8e-3, 4e-3, 2e-3, 1e-3, 5e-4, 2.5e-4), start=1))
MAX_LATENT_LEVELS = 7  # grids 1:1 … 1:64


def preset(level: int) -> QualityPreset:
    for candidate in PRESETS:
        if candidate.level == level:
            return candidate
    raise ValueError(f"quality must be one of {QUALITY_LEVELS}, not {level}")


def sl2a_config(level: int, sides: tuple[int, ...], channels: int) -> Sl2aConfig:
    """The SL²A network that quality ``level`` uses for a signal of ``sides`` samples per axis (an
    image: (height, width)): width ∝ the geometric mean side, degree ∝ the longest."""
    chosen = preset(level)
    mean_ratio = math.prod(sides) ** (1 / len(sides)) / REFERENCE_SIDE
    side_ratio = max(sides) / REFERENCE_SIDE
    return Sl2aConfig(
        in_features=len(sides),
        out_features=channels,
        width=min(MAX_WIDTH, max(MIN_WIDTH, round(chosen.width * mean_ratio))),
        degree=min(MAX_DEGREE, max(MIN_DEGREE, round(chosen.degree * side_ratio))),
        hidden_layers=chosen.hidden_layers,
    )


def latent_config(level: int, sides: tuple[int, ...], channels: int) -> LatentConfig:
    """The latent-grid model of quality ``level`` for an image of ``sides = (height, width)``: grids
    down to 1:64, or to the coarsest that still has two latents along the longer side."""
    if len(sides) != 2:
        raise ValueError(f"the latent model codes images; this signal has {len(sides)} axes")
    chosen = LATENT_PRESETS[level - 1]
    height, width = sides
    levels = max(1, min(MAX_LATENT_LEVELS, max(width, height).bit_length() - 1))
    return LatentConfig(2, channels, latent_height=height, latent_width=width, levels=levels, width=chosen.width,
                        hidden_layers=chosen.hidden_layers, degree=chosen.degree, rank=chosen.rank,
                        context_width=chosen.context_width, upsampling=chosen.upsampling)


def rate_weight(model: str, level: int) -> float:
    """λ of quality ``level`` for family ``model``."""
    return LATENT_PRESETS[level - 1].rate_weight if model == "latent" else preset(level).rate_weight


def model_config(model: str, level: int, sides: tuple[int, int], channels: int) -> ModelConfig:
    """The network of family ``model`` that quality ``level`` uses for an image of ``sides`` =
    (height, width) and ``channels`` values per pixel (shapes and scenes: ``volume_config``,
    ``scene_config``)."""
    if len(sides) != 2:
        raise ValueError(f"image presets size networks for 2 axes, not {len(sides)}")
    if model == "latent":
        preset(level)  # validates the level
        return latent_config(level, sides, channels)
    if model == "latent3d":
        raise InputError("the latent3d model codes scenes only; choose latent, sl2a or a baseline for images")
    sl2a = sl2a_config(level, sides, channels)
    if model == "sl2a":
        return sl2a
    config_class = REGISTRY[model].config_class
    return config_class.sized_for(sl2a.parameter_count(), len(sides), channels, max(sides))


def batch_samples(samples: int) -> int | None:
    """Samples per optimizer step: a quarter of the signal, at least 16K and at most 256K (measured
    on 256×256 Kodak crops: 16K-pixel batches reach a higher PSNR than full-grid steps in the same
    time); ``None`` (the whole grid) for signals of up to 16K samples."""
    if samples <= MIN_BATCH_SAMPLES:
        return None
    return min(MAX_BATCH_SAMPLES, max(MIN_BATCH_SAMPLES, samples // 4))


assert tuple(p.level for p in PRESETS) == QUALITY_LEVELS == tuple(p.level for p in LATENT_PRESETS)
