"""Scenes' quality levels: an SL²A radiance field per level, its rate weight and steps."""

from __future__ import annotations

from ...models import ModelConfig
from ...presets import FieldPreset, field_config

# λ is MSE per KB; steps of 512 rays (many small steps beat few large ones: RESULTS.md)
SCENE_PRESETS = tuple(FieldPreset(level, width, width, rate_weight, 3, 8000) for level, width, rate_weight in (
    (1, 32, 8e-5), (2, 48, 4e-5), (3, 56, 2e-5), (4, 64, 1e-5), (5, 80, 5e-6), (6, 96, 2.5e-6), (7, 128, 1.2e-6)))


def scene_config(model: str, level: int) -> ModelConfig:
    """The radiance field (density and RGB) of quality ``level``."""
    return field_config(model, SCENE_PRESETS[level - 1], 4, 256, "scenes")
