"""What every kind's presets share: the quality levels, the effort ladder, the training schedules
and the 3-D fields' preset (shapes and scenes). Each kind's own levels are in
``signals/<kind>/presets.py``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import InputError
from .models import REGISTRY, ModelConfig, Sl2aConfig

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


QUALITY_LEVELS = tuple(range(1, 8))  # every kind has these levels; 1 gives the smallest files
DEFAULT_QUALITY = 4
FINE_TUNE_SHARE = 0.2  # of the steps, spent on quantization-aware fine-tuning
# How long an encode trains: the kind's steps times the effort's factor (time per megapixel and rate
# cost of each, benchmarks/RESULTS.md, "Effort"); --iters gives the steps outright.
EFFORTS = {"draft": 1 / 16, "fast": 0.25, "default": 1.0, "thorough": 2.0}
DEFAULT_EFFORT = "default"


def effort_steps(default_steps: int, effort: str) -> int:
    """The steps of ``effort`` for a kind and level whose default is ``default_steps``."""
    if effort not in EFFORTS:
        raise ValueError(f"effort must be one of {', '.join(EFFORTS)}, not {effort!r}")
    return max(1, round(default_steps * EFFORTS[effort]))


def float_fit_schedule(steps: int, learning_rate: float) -> Schedule:
    """The float fit: from ``learning_rate``, decayed 100× over ``steps``."""
    return Schedule(steps, learning_rate, learning_rate / 100)


def schedules(total_steps: int, learning_rate: float) -> tuple[Schedule, Schedule]:
    """Float fit and fine-tuning (from a tenth of the rate) schedules sharing ``total_steps``."""
    tune = max(1, round(total_steps * FINE_TUNE_SHARE)) if total_steps > 1 else 0
    return (float_fit_schedule(max(1, total_steps - tune), learning_rate),
            Schedule(tune, learning_rate / 10, learning_rate / 1000))


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


def field_config(model: str, chosen: FieldPreset, out_features: int, side: int, kind: str) -> ModelConfig:
    """The network of family ``model`` for a 3-D field of ``out_features`` at preset ``chosen``:
    SL²A at the preset's size, or the widest baseline of no more parameters (``side``: samples
    along the longest axis, which some baselines' frequencies follow)."""
    if not REGISTRY[model].weight_only:
        codes = "images" if model == "latent" else "scenes"
        raise InputError(f"the {model} model codes {codes} only; choose sl2a or a baseline for {kind}")
    sl2a = Sl2aConfig(3, out_features, width=chosen.width, degree=chosen.degree, hidden_layers=chosen.hidden_layers)
    if model == "sl2a":
        return sl2a
    return REGISTRY[model].config_class.sized_for(sl2a.parameter_count(), 3, out_features, side)
