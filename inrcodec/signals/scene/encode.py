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
from .decode import DecodedScene, SceneGeometry, SceneType, Views, box_samples
from .io import SceneSignal, pack_occupancy, to_pixels
from .presets import LATENT_SCENE_PRESETS, SCENE_PRESETS, scene_config


class TrainingRays:
    """The training rays that may cross occupied space — those through pixels the occupancy grid's
    cells cover in their view (a superset of the rays that meet it: cheap to find at any size) —
    with their colours and the samples (``first``, ``count``) of each that lie inside the box."""

    def __init__(self, signal: SceneSignal, device: torch.device):
        geometry, views = signal.geometry, signal.views
        origins, directions, colours = [], [], []
        for index in range(len(views.poses)):
            covered = _covered_pixels(geometry, signal.occupancy, views, index).reshape(-1)
            o, d = views.rays(index)
            origins.append(o[covered]), directions.append(d[covered])
            colours.append(signal.images[index].reshape(-1, 3)[covered])
        origins, directions = (np.concatenate(a).astype(np.float32) for a in (origins, directions))
        first, count = box_samples(geometry, origins, directions)
        keep = count > 0
        if not keep.any():
            raise InputError("no training ray crosses the scene's occupied space: nothing to code")
        self.origins, self.directions, self.colours, self.first, self.count = (
            torch.from_numpy(np.ascontiguousarray(a[keep])).to(device)
            for a in (origins, directions, np.concatenate(colours).astype(np.float32), first, count))

    def __len__(self) -> int:
        return len(self.colours)

    def pick(self, chosen: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(origins, directions, first, count, colours) of the rays ``chosen``."""
        return (self.origins[chosen], self.directions[chosen], self.first[chosen], self.count[chosen],
                self.colours[chosen])


def _covered_pixels(geometry: SceneGeometry, occupancy: np.ndarray, views: Views, index: int) -> np.ndarray:
    """(H, W) bool: the pixels of view ``index`` whose ray may meet an occupied cell (each occupied
    cell's centre projected, the marks grown by the largest projected cell radius)."""
    from scipy.ndimage import maximum_filter

    side = geometry.grid_side
    cells = 2 * geometry.halves / side
    centres = geometry.centre - geometry.halves + (np.argwhere(occupancy) + 0.5) * cells
    pose = views.poses[index]
    camera = (centres - pose[:3, 3]) @ pose[:3, :3]
    depth = -camera[:, 2]
    front = depth > 1e-6
    mask = np.zeros((views.height, views.width), dtype=bool)
    if not front.any():
        return mask
    camera, depth = camera[front], depth[front]
    u = np.floor(views.width / 2 + views.focal * camera[:, 0] / depth).astype(np.int64)
    v = np.floor(views.height / 2 - views.focal * camera[:, 1] / depth).astype(np.int64)
    reach = int(np.ceil(views.focal * np.linalg.norm(cells) / 2 / depth.min())) + 1
    inside = (u >= -reach) & (u < views.width + reach) & (v >= -reach) & (v < views.height + reach)
    mask[np.clip(v[inside], 0, views.height - 1), np.clip(u[inside], 0, views.width - 1)] = True
    return maximum_filter(mask, size=2 * min(reach, max(views.width, views.height)) + 1)


class TrainingRayMarcher:
    """The PyTorch twin of the normative ``decode.RayMarcher`` that training differentiates through:
    only the samples of each ray inside the box (``TrainingRays``; the others have no density, so
    the composite is the same), jittered within their segments when a generator is given."""

    def __init__(self, geometry: SceneGeometry, occupancy: torch.Tensor):
        self.geometry, self.occupancy = geometry, occupancy
        device = occupancy.device
        self.centre = torch.tensor(geometry.centre, dtype=torch.float32, device=device)
        self.halves = torch.tensor(geometry.halves, dtype=torch.float32, device=device)

    def points(self, origins: torch.Tensor, directions: torch.Tensor, first: torch.Tensor, count: torch.Tensor,
               generator: torch.Generator | None = None):
        """Sample positions ``(R, M, 3)`` in [-1, 1]³ box coordinates and which of them to evaluate."""
        columns = torch.arange(int(count.max()), device=origins.device)
        offsets = (first[:, None] + columns).float() + 0.5
        if generator is not None:
            offsets = offsets + torch.rand(offsets.shape, generator=generator, device=offsets.device) - 0.5
        depths = self.geometry.near + offsets * self.geometry.step
        positions = (origins[:, None] + depths[..., None] * directions[:, None] - self.centre) / self.halves
        side = self.geometry.grid_side
        cells = ((positions + 1) / 2 * side).floor().long()
        inside = ((cells >= 0) & (cells < side)).all(dim=-1) & (columns < count[:, None])
        cells = cells.clamp(0, side - 1)
        active = inside & self.occupancy[cells[..., 0], cells[..., 1], cells[..., 2]]
        return positions, active

    def composite(self, field, positions: torch.Tensor, active: torch.Tensor) -> torch.Tensor:
        """Colours ``(R, 3)`` of rays whose samples are ``positions``, ``field`` ((N, 3) points ->
        (N, 4) outputs) evaluated where ``active``. Only the evaluated samples are composited, as
        the decoder does (each ray's optical depth from one float64 running sum): a ray has a few
        dozen of its hundreds of samples in the hull, so dense (rays, samples) arrays cost more
        than the field."""
        ray = active.nonzero()[:, 0]  # row-major: each ray's samples together, front to back
        out = positions.new_ones(active.shape[0], 3)
        if not len(ray):
            return out
        outputs = field(positions[active])
        optical = torch.nn.functional.softplus(outputs[:, 0]) * self.geometry.step
        running = torch.cumsum(optical.double(), 0)
        before = running - optical
        counts = torch.bincount(ray, minlength=active.shape[0])
        starts = torch.cumsum(counts, 0) - counts
        before = before - before[starts[ray]]  # optical depth in front of each sample, on its own ray
        weights = (1 - torch.exp(-optical)) * torch.exp(-before).float()
        return out.index_add(0, ray, weights[:, None] * (torch.sigmoid(outputs[:, 1:4]) - 1))

    def render(self, field, rays: tuple, generator: torch.Generator | None = None) -> torch.Tensor:
        """Colours of ``rays`` (``TrainingRays.pick``'s origins, directions, first, count)."""
        return self.composite(field, *self.points(*rays[:4], generator))


def network_field(network: CoordinateNetwork):
    """A weight-only network as a field: one batch while training, tiles of bounded activation memory
    when measuring."""
    def field(points: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            return network(point_grid(points))
        tile = max(1, ACTIVATION_BUDGET_BYTES // (network.config.floats_per_point() * FLOAT_BYTES))
        return torch.cat([network(point_grid(part)) for part in points.split(tile)])
    return field


class RayObjective:
    """Mean squared error of rendered training rays against their pixels, on random batches of the
    rays that may cross the occupancy grid (the others are white by construction and cost nothing)."""

    BATCH_RAYS = 512  # many small steps beat few large ones here: 28.9 dB in 300 s at 512 rays
    EVALUATION_RAYS = 4096
    samples = 8192  # the rate term's unit: λ is MSE per kilobyte

    def __init__(self, signal: SceneSignal, generator: torch.Generator):
        device = generator.device
        self.generator = generator
        self.marcher = TrainingRayMarcher(signal.geometry, torch.from_numpy(signal.occupancy).to(device))
        self.rays = TrainingRays(signal, device)
        self.evaluation = self.rays.pick(torch.randperm(len(self.rays), generator=generator,
                                                        device=device)[:self.EVALUATION_RAYS])

    def batch(self) -> tuple[torch.Tensor, ...]:
        return self.rays.pick(torch.randint(0, len(self.rays), (self.BATCH_RAYS,), generator=self.generator,
                                            device=self.generator.device))

    def loss(self, model: CoordinateNetwork) -> torch.Tensor:
        rays = self.batch()
        return torch.mean((self.marcher.render(network_field(model), rays, self.generator) - rays[4]) ** 2)

    describe = staticmethod(psnr_postfix)

    @torch.no_grad()
    def distortion(self, model: CoordinateNetwork) -> float:
        """MSE over a fixed set of training rays (those that may cross occupied space)."""
        rendered = self.marcher.render(network_field(model), self.evaluation)
        return float(torch.mean((rendered - self.evaluation[4]) ** 2))

    def fit_measure(self, model: CoordinateNetwork) -> dict:
        return {"psnr": psnr_from_mse(self.distortion(model))}


class LatentRayObjective(RayObjective):
    """The 3-D latent model's objective (``models.latent.fit``): MSE of a batch of rays rendered from
    the latents, plus λ · the live latents' bits per ``samples``; the grids are masked to their live
    latents (the others are not coded: they stay zero)."""

    BATCH_RAYS = 2048  # a grid lookup is cheap: larger batches, fewer steps (2560: 101 KB, 29.28 dB; RESULTS.md)
    # of the live latents a step prices, drawn at random (unbiased: a quarter gave the same PSNR and
    # rate as all of them at 400 steps; with two channels per level all of them cost a third of a step)
    RATE_SHARE = 0.1
    # of the steps before the synthesis is quantized and frozen: the latents are rounded from the
    # first step, so the last phase only adapts them and the context model to the decoded weights
    soft_share = 0.95
    # the synthesis's step search starts near lossless: from 1/16 of a group's spread (a 2 dB loss on
    # lego at 400 px) its one-group-at-a-time moves ended 0.2–0.5 dB below the float synthesis on
    # the training rays; from 1/128 they end level with it for ~0.8 KB more (RESULTS.md)
    search_start_share = 1 / 128

    def __init__(self, signal: SceneSignal, network, generator: torch.Generator):
        from ...models.latent3d.trainable import LatentRate

        super().__init__(signal, generator)
        self.network = network
        masks = network.config.live_masks(signal.occupancy)
        self.masks = [torch.from_numpy(mask).to(generator.device).float() for mask in masks]
        self.rate = LatentRate(masks, network.config.channels, generator.device)

    @staticmethod
    def quantize(latents: torch.Tensor, progress: float, hard: bool, generator: torch.Generator):
        """Rounded latents, straight-through, from the first step: soft rounding with noise (the
        image model's) reached 18.9 dB on lego at 400 px in 400 steps where rounding reached 21.1
        and float latents 20.8 (training rays)."""
        return latents + (torch.round(latents) - latents).detach()

    def backward(self, grids: list[torch.Tensor], rate_weight: float):
        """(loss, MSE) of a batch; the loss carries its graph."""
        grids = self.features(grids)
        rays = self.batch()
        rendered = self.marcher.render(lambda points: self.network.field(points, grids), rays, self.generator)
        mse = torch.mean((rendered - rays[4]) ** 2)
        bits = self.rate.bits(grids, self.network.context, self.RATE_SHARE, self.generator)
        return mse + rate_weight * bits / self.samples, mse.detach()

    def features(self, grids: list[torch.Tensor]) -> list[torch.Tensor]:
        """The grids as the decoder has them: zero where not live."""
        return [grid * mask for grid, mask in zip(grids, self.masks)]

    def distortion(self, grids: list[torch.Tensor]) -> torch.Tensor:
        """MSE of the evaluation rays rendered from ``grids`` (``features``), without gradients."""
        with torch.no_grad():
            field = lambda points: torch.cat([self.network.field(part, grids) for part in points.split(1 << 16)])  # noqa: E731
            return torch.mean((self.marcher.render(field, self.evaluation) - self.evaluation[4]) ** 2)


class SceneEncoding(SceneType, SignalEncoding):
    default_model = "sl2a"

    def default_steps(self, level: int, model: str) -> int:
        return (LATENT_SCENE_PRESETS if model == "latent3d" else SCENE_PRESETS)[level - 1].steps

    def model_config(self, model: str, level: int, geometry: SceneGeometry) -> ModelConfig:
        return scene_config(model, level, tuple(geometry.halves))

    def rate_weight(self, model: str, level: int) -> float:
        return (LATENT_SCENE_PRESETS if model == "latent3d" else SCENE_PRESETS)[level - 1].rate_weight

    def objective(self, signal: SceneSignal, generator: torch.Generator, known=None) -> RayObjective:
        if known is not None:
            raise InputError("a mask of known samples applies to images only")
        return RayObjective(signal, generator)

    def latent_objective(self, signal: SceneSignal, network, generator: torch.Generator, known=None,
                         precision: str = "auto", formulation=None) -> LatentRayObjective:
        if known is not None:
            raise InputError("a mask of known samples applies to images only")
        return LatentRayObjective(signal, network, generator)

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
