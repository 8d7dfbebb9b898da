"""Scenes as the encoder sees them: presets, training rays rendered through a PyTorch twin of the
normative ray marcher, and the measures of a decode (held-out views' PSNR and SSIM)."""

from __future__ import annotations

import numpy as np
import torch

from ...errors import InputError
from ...models import ModelConfig
from ...models.trainable_base import CoordinateNetwork
from ...render import ACTIVATION_BUDGET_BYTES, FLOAT_BYTES
from ...train.fit import psnr_from_mse, psnr_postfix
from ..encoding import SignalEncoding
from ..volume.encode import point_grid
from .decode import DecodedScene, SceneGeometry, SceneType, Views, rays_per_chunk
from .io import SceneSignal, pack_occupancy, to_pixels
from .presets import SCENE_PRESETS, scene_config


class TrainingRayMarcher:
    """The PyTorch twin of the normative ``decode.RayMarcher`` that training differentiates through
    (samples jittered within their segments when a generator is given)."""

    def __init__(self, geometry: SceneGeometry, occupancy: torch.Tensor):
        self.geometry, self.occupancy = geometry, occupancy
        device = occupancy.device
        self.centre = torch.tensor(geometry.centre, dtype=torch.float32, device=device)
        self.halves = torch.tensor(geometry.halves, dtype=torch.float32, device=device)
        self.segments = (torch.arange(geometry.samples_per_ray, dtype=torch.float32, device=device) + 0.5)

    def points(self, origins: torch.Tensor, directions: torch.Tensor, generator: torch.Generator | None = None):
        """Sample positions ``(R, S, 3)`` in [-1, 1]³ box coordinates and which of them to evaluate."""
        offsets = self.segments.expand(len(origins), -1)
        if generator is not None:
            offsets = offsets + torch.rand(offsets.shape, generator=generator, device=offsets.device) - 0.5
        depths = self.geometry.near + offsets * self.geometry.step
        positions = (origins[:, None] + depths[..., None] * directions[:, None] - self.centre) / self.halves
        side = self.geometry.grid_side
        cells = ((positions + 1) / 2 * side).floor().long()
        inside = ((cells >= 0) & (cells < side)).all(dim=-1)
        cells = cells.clamp(0, side - 1)
        active = inside & self.occupancy[cells[..., 0], cells[..., 1], cells[..., 2]]
        return positions, active

    def composite(self, network: CoordinateNetwork, positions: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        """Colours ``(R, 3)`` of rays whose samples are ``positions`` (evaluated where ``active``)."""
        rays, samples = active.shape
        density = positions.new_zeros(rays, samples)
        colour = positions.new_zeros(rays, samples, 3)
        if active.any():
            points = positions[active]
            if torch.is_grad_enabled():  # training: one batch
                outputs = network(point_grid(points))
            else:  # the step search's measure: tiles of bounded activation memory
                tile = max(1, ACTIVATION_BUDGET_BYTES // (network.config.floats_per_point() * FLOAT_BYTES))
                outputs = torch.cat([network(point_grid(part)) for part in points.split(tile)])
            density = density.index_put((active,), torch.nn.functional.softplus(outputs[:, 0]))
            colour = colour.index_put((active,), torch.sigmoid(outputs[:, 1:4]))
        optical = density * self.geometry.step
        alpha = 1 - torch.exp(-optical)
        transmittance = torch.exp(-(torch.cumsum(optical, dim=1) - optical))
        weights = alpha * transmittance
        return (weights[..., None] * colour).sum(dim=1) + (1 - weights.sum(dim=1, keepdim=True))

    def render(self, network: CoordinateNetwork, origins: torch.Tensor, directions: torch.Tensor,
               generator: torch.Generator | None = None) -> torch.Tensor:
        return self.composite(network, *self.points(origins, directions, generator))


class RayObjective:
    """Mean squared error of rendered training rays against their pixels, on random batches of the
    rays that cross the occupancy grid (the others are white by construction and cost nothing)."""

    BATCH_RAYS = 512  # many small steps beat few large ones here: 28.9 dB in 300 s at 512 rays
    EVALUATION_RAYS = 4096
    samples = 8192  # the rate term's unit: λ is MSE per kilobyte

    def __init__(self, signal: SceneSignal, generator: torch.Generator):
        device = generator.device
        self.generator = generator
        self.marcher = TrainingRayMarcher(signal.geometry, torch.from_numpy(signal.occupancy).to(device))
        origins, directions, colours = [], [], []
        for index in range(len(signal.views.poses)):
            o, d = signal.views.rays(index)
            origins.append(o), directions.append(d), colours.append(signal.images[index].reshape(-1, 3))
        origins, directions = (torch.from_numpy(np.concatenate(a)).float().to(device) for a in (origins, directions))
        colours = torch.from_numpy(np.concatenate(colours)).float().to(device)
        chunk = rays_per_chunk(signal.geometry)
        hits = torch.cat([self.marcher.points(o, d)[1].any(dim=1)
                          for o, d in zip(origins.split(chunk), directions.split(chunk))])
        self.origins, self.directions, self.colours = origins[hits], directions[hits], colours[hits]
        if not len(self.colours):
            raise InputError("no training ray crosses the scene's occupied space: nothing to code")
        self.evaluation = torch.randperm(len(self.colours), generator=generator, device=device)[:self.EVALUATION_RAYS]

    def loss(self, model: CoordinateNetwork) -> torch.Tensor:
        picks = torch.randint(0, len(self.colours), (self.BATCH_RAYS,), generator=self.generator,
                              device=self.generator.device)
        rendered = self.marcher.render(model, self.origins[picks], self.directions[picks], self.generator)
        return torch.mean((rendered - self.colours[picks]) ** 2)

    describe = staticmethod(psnr_postfix)

    @torch.no_grad()
    def distortion(self, model: CoordinateNetwork) -> float:
        """MSE over a fixed set of training rays (those that cross occupied space)."""
        chosen = self.evaluation
        rendered = self.marcher.render(model, self.origins[chosen], self.directions[chosen])
        return float(torch.mean((rendered - self.colours[chosen]) ** 2))

    def fit_measure(self, model: CoordinateNetwork) -> dict:
        return {"psnr": psnr_from_mse(self.distortion(model))}


class SceneEncoding(SceneType, SignalEncoding):
    default_model = "sl2a"

    def default_steps(self, level: int) -> int:
        return SCENE_PRESETS[level - 1].steps

    def model_config(self, model: str, level: int, geometry: SceneGeometry) -> ModelConfig:
        return scene_config(model, level)

    def rate_weight(self, model: str, level: int) -> float:
        return SCENE_PRESETS[level - 1].rate_weight

    def objective(self, signal: SceneSignal, generator: torch.Generator, known=None) -> RayObjective:
        if known is not None:
            raise InputError("a mask of known samples applies to images only")
        return RayObjective(signal, generator)

    def pack_side_data(self, signal: SceneSignal) -> bytes:
        return pack_occupancy(signal.occupancy)

    def measure(self, signal: SceneSignal, decoded: "DecodedScene", known=None) -> dict:
        """PSNR (mean over views) and SSIM of the held-out views, or of up to 10 training views when
        none is held out (``measured_on`` says which)."""
        from ...metrics import psnr, ssim

        if signal.held_out is not None:
            views, images, on = signal.held_out, signal.held_out_images, "held-out views"
        else:
            chosen = np.linspace(0, len(signal.images) - 1, min(10, len(signal.images))).round().astype(int)
            views = Views(signal.views.poses[chosen], signal.views.width, signal.views.height, signal.views.focal)
            images, on = signal.images[chosen], "training views"
        rendered, truth = decoded.render(views), to_pixels(images)
        return {"psnr": float(np.mean([psnr(t, r) for t, r in zip(truth, rendered)])),
                "ssim": float(np.mean([ssim(t, r) for t, r in zip(truth, rendered)])),
                "measured_on": on, "views": len(truth)}



SCENE_ENCODING = SceneEncoding()
