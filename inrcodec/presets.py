"""Quality levels: named presets that pick the network's size, the rate weight λ and the budget.

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

from .errors import InputError
from .models import REGISTRY, LatentConfig, ModelConfig, Sl2aConfig


PRECISIONS = ("auto", "float32", "bfloat16")  # the latent model's training arithmetic (``models/latent/objective.py``)


@dataclass(frozen=True)
class Schedule:
    """A fit's optimizer steps and its learning rate, decayed on a cosine to ``final_learning_rate``."""


    steps: int
    learning_rate: float
    final_learning_rate: float

    def rate_at(self, step: int) -> float:
        progress = step / max(1, self.steps - 1)
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        return self.final_learning_rate + (self.learning_rate - self.final_learning_rate) * cosine


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
QUALITY_LEVELS = tuple(p.level for p in PRESETS)
DEFAULT_QUALITY = 4
DEFAULT_MODEL = "latent"  # beats every weight-only network at every rate (benchmarks/RESULTS.md)
DEFAULT_STEPS = 2000  # optimizer steps in all (float fit + fine-tuning); --iters overrides
FINE_TUNE_SHARE = 0.2  # of the steps, spent on quantization-aware fine-tuning
MIN_BATCH_SAMPLES, MAX_BATCH_SAMPLES = 1 << 14, 1 << 18
# How long an encode trains: the kind's steps times the effort's factor (time per megapixel and rate
# cost of each, benchmarks/RESULTS.md, "Effort"); --iters gives the steps outright.
EFFORTS = {"draft": 1 / 16, "fast": 0.25, "default": 1.0, "thorough": 2.0}
DEFAULT_EFFORT = "default"


def effort_steps(default_steps: int, effort: str) -> int:
    """The steps of ``effort`` for a kind and level whose default is ``default_steps``."""
    if effort not in EFFORTS:
        raise ValueError(f"effort must be one of {', '.join(EFFORTS)}, not {effort!r}")
    return max(1, round(default_steps * EFFORTS[effort]))


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
    sl2a = sl2a_config(level, sides, channels)
    if model == "sl2a":
        return sl2a
    config_class = REGISTRY[model].config_class
    return config_class.sized_for(sl2a.parameter_count(), len(sides), channels, max(sides))


@dataclass(frozen=True)
class FieldPreset:
    """One quality level of a 3-D field (a shape's occupancy, a scene's radiance): an SL²A network
    of 3 inputs (its size sets the file's), the rate weight λ (distortion per kilobyte) and the
    optimizer steps of an encode."""

    level: int
    width: int
    degree: int
    rate_weight: float
    hidden_layers: int
    steps: int


VOLUME_PRESETS = tuple(FieldPreset(level, width, degree, rate_weight, 2, steps) for level, width, degree, rate_weight, steps in (
    (1, 24, 16, 4e-3, 4000), (2, 32, 16, 3e-3, 4000), (3, 40, 24, 2e-3, 4000), (4, 48, 24, 1.5e-3, 4000),
    (5, 64, 32, 1e-3, 4000),
    # the top levels buy accuracy with time: on the armadillo at level 6, λ 7e-4 and 4000 steps gave
    # IoU@256³ 0.9891 in 14.3 KB; λ 4e-4 and 6000 steps 0.9902 in 15.1 KB (benchmarks/RESULTS.md)
    (6, 72, 32, 4e-4, 6000), (7, 96, 40, 3e-4, 6000)))
VOLUME_BATCH_SAMPLES = 1 << 14  # points per step
# scenes: λ is MSE per KB; steps of 512 rays (many small steps beat few large ones: RESULTS.md)
SCENE_PRESETS = tuple(FieldPreset(level, width, width, rate_weight, 3, 8000) for level, width, rate_weight in (
    (1, 32, 8e-5), (2, 48, 4e-5), (3, 56, 2e-5), (4, 64, 1e-5), (5, 80, 5e-6), (6, 96, 2.5e-6), (7, 128, 1.2e-6)))


def field_config(model: str, chosen: FieldPreset, out_features: int, side: int, kind: str) -> ModelConfig:
    """The network of family ``model`` for a 3-D field of ``out_features`` at preset ``chosen``:
    SL²A at the preset's size, or the widest baseline of no more parameters (``side``: samples
    along the longest axis, which some baselines' frequencies follow)."""
    if model == "latent":
        raise InputError(f"the latent model codes images only; choose sl2a or a baseline for {kind}")
    sl2a = Sl2aConfig(3, out_features, width=chosen.width, degree=chosen.degree, hidden_layers=chosen.hidden_layers)
    if model == "sl2a":
        return sl2a
    return REGISTRY[model].config_class.sized_for(sl2a.parameter_count(), 3, out_features, side)


def volume_config(model: str, level: int, side: int) -> ModelConfig:
    """The network of quality ``level`` for a shape whose default grid has ``side`` samples along its
    longest axis."""
    return field_config(model, VOLUME_PRESETS[level - 1], 1, side, "shapes")


def scene_config(model: str, level: int) -> ModelConfig:
    """The radiance field (density and RGB) of quality ``level``."""
    return field_config(model, SCENE_PRESETS[level - 1], 4, 256, "scenes")


def float_fit_schedule(steps: int, learning_rate: float) -> Schedule:
    """The float fit: from ``learning_rate``, decayed 100× over ``steps``."""
    return Schedule(steps, learning_rate, learning_rate / 100)


def schedules(total_steps: int, learning_rate: float) -> tuple[Schedule, Schedule]:
    """Float fit and fine-tuning (from a tenth of the rate) schedules sharing ``total_steps``."""
    tune = max(1, round(total_steps * FINE_TUNE_SHARE)) if total_steps > 1 else 0
    return (float_fit_schedule(max(1, total_steps - tune), learning_rate),
            Schedule(tune, learning_rate / 10, learning_rate / 1000))


def batch_samples(samples: int) -> int | None:
    """Samples per optimizer step: a quarter of the signal, at least 16K and at most 256K (measured
    on 256×256 Kodak crops: 16K-pixel batches reach a higher PSNR than full-grid steps in the same
    time); ``None`` (the whole grid) for signals of up to 16K samples."""
    if samples <= MIN_BATCH_SAMPLES:
        return None
    return min(MAX_BATCH_SAMPLES, max(MIN_BATCH_SAMPLES, samples // 4))
