"""Images as the encoder sees them: presets, the fitting objective (pixels mapped to [-0.5, 0.5])
and the measures of a decode (PSNR and SSIM over the picture's value range)."""

from __future__ import annotations

import numpy as np
import torch

from ...metrics import psnr, ssim
from ...models import ModelConfig
from ..encoding import GridObjective, SignalEncoding
from .decode import ImageGeometry, ImageType
from .io import ImageSignal
from .presets import DEFAULT_MODEL, DEFAULT_STEPS, batch_samples, model_config, rate_weight


def image_target(signal: ImageSignal, device: torch.device) -> torch.Tensor:
    """Pixels mapped to [-0.5, 0.5], the range the networks are fitted to."""
    scale = 1.0 / signal.geometry.max_value
    return torch.from_numpy(signal.pixels.astype(np.float32) * scale - 0.5).to(device)


class ImageEncoding(ImageType, SignalEncoding):
    default_model = DEFAULT_MODEL

    def default_steps(self, level: int, model: str) -> int:
        return DEFAULT_STEPS

    def model_config(self, model: str, level: int, geometry: ImageGeometry) -> ModelConfig:
        return model_config(model, level, self.sides(geometry), geometry.channels)

    def rate_weight(self, model: str, level: int) -> float:
        return rate_weight(model, level)

    def objective(self, signal: ImageSignal, generator: torch.Generator,
                  known: np.ndarray | None = None) -> GridObjective:
        return GridObjective(image_target(signal, generator.device), batch_samples(signal.geometry.pixels), generator, known)

    def latent_objective(self, signal: ImageSignal, network, generator: torch.Generator,
                         known: np.ndarray | None = None, precision: str = "auto", formulation=None):
        from ...models.latent.objective import LatentObjective

        device = generator.device
        mask = None if known is None else torch.from_numpy(known).to(device)[..., None].float()
        return (formulation or LatentObjective)(network, image_target(signal, device), mask, precision)

    def measure(self, signal: ImageSignal, decoded: np.ndarray, known: np.ndarray | None) -> dict:
        if known is None:
            return {"psnr": psnr(signal.pixels, decoded), "ssim": ssim(signal.pixels, decoded)}
        # unknown pixels have no truth
        return {"psnr": psnr(signal.pixels[known], decoded[known]), "ssim": None}



IMAGE_ENCODING = ImageEncoding()
