"""Shapes' quality levels: an SL²A occupancy network per level, its rate weight and steps."""

from __future__ import annotations

from ...models import ModelConfig
from ...presets import FieldPreset, field_config

VOLUME_PRESETS = tuple(FieldPreset(level, width, degree, rate_weight, 2, steps) for level, width, degree, rate_weight, steps in (
    (1, 24, 16, 4e-3, 4000), (2, 32, 16, 3e-3, 4000), (3, 40, 24, 2e-3, 4000), (4, 48, 24, 1.5e-3, 4000),
    (5, 64, 32, 1e-3, 4000),
    # the top levels buy accuracy with time: on the armadillo at level 6, λ 7e-4 and 4000 steps gave
    # IoU@256³ 0.9891 in 14.3 KB; λ 4e-4 and 6000 steps 0.9902 in 15.1 KB (benchmarks/RESULTS.md)
    (6, 72, 32, 4e-4, 6000), (7, 96, 40, 3e-4, 6000)))
VOLUME_BATCH_SAMPLES = 1 << 14  # points per step


def volume_config(model: str, level: int, side: int) -> ModelConfig:
    """The network of quality ``level`` for a shape whose default grid has ``side`` samples along its
    longest axis."""
    return field_config(model, VOLUME_PRESETS[level - 1], 1, side, "shapes")
