"""Scenes' quality levels: an SL²A radiance field per level (its rate weight and steps), and the 3-D
latent-grid model's grids, rate weight and steps."""

from __future__ import annotations

from dataclasses import dataclass

from ...models import Latent3dConfig, ModelConfig
from ...presets import FieldPreset, field_config

# λ is MSE per KB; steps of 512 rays (many small steps beat few large ones: RESULTS.md)
SCENE_PRESETS = tuple(FieldPreset(level, width, width, rate_weight, 3, 8000) for level, width, rate_weight in (
    (1, 32, 8e-5), (2, 48, 4e-5), (3, 56, 2e-5), (4, 64, 1e-5), (5, 80, 5e-6), (6, 96, 2.5e-6), (7, 128, 1.2e-6)))


@dataclass(frozen=True)
class LatentScenePreset:
    """One level of the 3-D latent model: latents along the box's longest axis in the finest grid,
    λ (MSE per KB) and steps (of ``LATENT_BATCH_RAYS`` rays)."""

    level: int
    cells: int
    rate_weight: float
    steps: int


# level 4's λ sits off the halving ladder: 1.5e-5 gave the best of five lego runs at 400 px (RESULTS.md)
LATENT_SCENE_PRESETS = tuple(LatentScenePreset(level, cells, rate_weight, 3800) for level, cells, rate_weight in (
    (1, 64, 1.6e-4), (2, 80, 8e-5), (3, 96, 4e-5), (4, 128, 1.5e-5), (5, 144, 1e-5), (6, 160, 5e-6), (7, 192, 2.5e-6)))
LATENT_SCENE_LEVELS = 5  # of grids, each half the previous along every axis
LATENT_SCENE_CHANNELS = 2  # per level: +1.2 dB over one, held out, on lego at 400 px (RESULTS.md)
LATENT_SCENE_WIDTH = 32  # of the synthesis


def scene_config(model: str, level: int, halves=(1.0, 1.0, 1.0)) -> ModelConfig:
    """The radiance field (density and RGB) of quality ``level``; ``halves``: the box's half sizes,
    which the latent model's finest grid follows (cubic cells)."""
    if model == "latent3d":
        cells = LATENT_SCENE_PRESETS[level - 1].cells
        longest = max(halves)
        x, y, z = (max(1, round(cells * half / longest)) for half in halves)
        return Latent3dConfig(3, 4, grid_x=x, grid_y=y, grid_z=z, levels=LATENT_SCENE_LEVELS,
                              width=LATENT_SCENE_WIDTH, hidden_layers=1, degree=3, channels=LATENT_SCENE_CHANNELS)
    return field_config(model, SCENE_PRESETS[level - 1], 4, 256, "scenes")
