"""What every signal kind provides, so that the encoder, decoder, bitstream and presets handle any
kind through one interface (the registry in ``signals/__init__.py``) instead of a copy per kind."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np
import torch

from ..fit import psnr_from_mse, psnr_postfix
from ..models import CoordinateNetwork, Grid, ModelConfig
from ..render import DecodeLimits, RenderPlan


class SignalKind(IntEnum):
    """Stable ids, written in every bitstream's header."""

    IMAGE = 1
    VOLUME = 2
    SCENE = 3


def cell_centres(count: int, device=None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Centres of ``count`` equal cells covering [-1, 1]: sampling the same continuous square at any
    density, which is what makes decoding at any scale meaningful."""
    return (2 * torch.arange(count, device=device, dtype=dtype) + 1) / count - 1


class SignalType:
    """One signal kind: its header geometry, what networks may code it, how a fit is scored, how a
    decoder renders it and how the result is measured. Subclasses fill in every method."""

    kind: SignalKind
    name: str  # "image": in messages and the API
    geometry_class: type  # a frozen dataclass of int fields, written to the header in field order

    def sides(self, geometry) -> tuple[int, ...]:
        """Samples along each coordinate axis at the coded size (the network's input is one
        coordinate per axis; presets size networks from this)."""
        raise NotImplementedError

    def channels(self, geometry) -> int:
        """Values per sample: the network's outputs."""
        raise NotImplementedError

    def default_steps(self, level: int) -> int:
        """Optimizer steps of an encode at quality ``level`` unless the caller says otherwise."""
        raise NotImplementedError

    default_model: str  # the model family of an encode unless the caller says otherwise

    def model_config(self, model: str, level: int, geometry) -> ModelConfig:
        """The network of family ``model`` that quality ``level`` uses for this geometry (presets)."""
        raise NotImplementedError

    def rate_weight(self, model: str, level: int) -> float:
        """λ of quality ``level``: distortion per unit of the objective's ``samples`` bits."""
        raise NotImplementedError

    def objective(self, signal, generator: torch.Generator, known: np.ndarray | None = None):
        """What a weight-only fit minimises: ``loss(model)`` on a batch (differentiable),
        ``distortion(model)`` on a fixed set (the step search), ``samples`` (the rate's unit)."""
        raise NotImplementedError

    def check_model(self, geometry, config: ModelConfig) -> None:
        """Refuse (``BitstreamError``) a header whose network cannot render this geometry."""
        raise NotImplementedError

    def output_shape(self, geometry, scale: float | None, size: tuple[int, ...] | None) -> tuple[int, ...]:
        """Samples per axis of a rendering: the coded size, ``scale`` times it, or ``size`` (given
        in the kind's usual order, e.g. width × height)."""
        raise NotImplementedError

    def render_plan(self, config: ModelConfig, geometry, shape: tuple[int, ...]) -> RenderPlan:
        raise NotImplementedError

    carries_side_data = False  # whether the bitstream holds data besides the network for this kind

    def pack_side_data(self, signal) -> bytes:
        """What a bitstream of ``signal`` carries besides the network (only if ``carries_side_data``)."""
        return b""

    def side_data(self, geometry, data: bytes) -> Any:
        """Parse (and validate: ``BitstreamError``) the side data of a bitstream of this kind."""
        return None

    def render(self, network: CoordinateNetwork, geometry, plan: RenderPlan, limits: DecodeLimits,
               side_data: Any = None) -> Any:
        """The normative decode: the network on the plan's grid, converted to the kind's samples
        (``limits`` for renders whose work is only known part-way, once ``plan`` has been checked;
        ``side_data`` as ``side_data`` parsed it)."""
        raise NotImplementedError

    def measure(self, signal, decoded, known: np.ndarray | None) -> dict:
        """The kind's measures of a decode against the signal (image: PSNR dB and SSIM, over
        ``known`` samples only; volume: IoU)."""
        raise NotImplementedError


def sample_grid(shape: tuple[int, ...], device=None) -> Grid:
    """Cell centres of a Cartesian grid of ``shape`` samples over [-1, 1]^d (first axis first)."""
    return Grid(tuple(cell_centres(count, device) for count in shape))


class GridObjective:
    """Mean squared error of a network against samples on a Cartesian grid (any number of axes),
    on the whole grid or random batches of it, over every sample or only the ``known`` ones."""

    def __init__(self, target: torch.Tensor, batch_samples: int | None, generator: torch.Generator,
                 known: np.ndarray | None = None):
        self.target = target  # (*shape, channels)
        shape, device = tuple(target.shape[:-1]), target.device
        self.shape = shape
        self.grid = sample_grid(shape, device)
        self.weights = None if known is None else torch.from_numpy(known).to(device)[..., None].float()
        self.candidates = torch.arange(int(np.prod(shape)), device=device) if known is None else \
            torch.from_numpy(np.flatnonzero(known)).to(device)
        count = len(self.candidates)
        self.batch_samples = batch_samples if batch_samples and batch_samples < count else None
        self.generator = generator
        self.samples = int(np.prod(shape))  # the rate's unit: λ weighs bits per pixel

    def _mean_over_known(self, squared: torch.Tensor) -> torch.Tensor:
        if self.weights is None:
            return squared.mean()
        return (squared * self.weights).sum() / (self.weights.sum() * squared.shape[-1])

    def loss(self, model: CoordinateNetwork) -> torch.Tensor:
        """MSE on a fresh random batch of known samples, or on all of them when batches are off."""
        if self.batch_samples is None:
            return self._mean_over_known((model(self.grid) - self.target) ** 2)
        picks = torch.randint(0, len(self.candidates), (self.batch_samples,), generator=self.generator,
                              device=self.generator.device)
        flat = self.candidates[picks.to(self.candidates.device)]
        batch = Grid(self.grid.axes, torch.stack(torch.unravel_index(flat, self.shape), dim=-1))
        return torch.mean((model(batch) - self.target.reshape(-1, self.target.shape[-1])[flat]) ** 2)

    describe = staticmethod(psnr_postfix)  # the progress bar's figures from a batch's loss

    def fit_measure(self, model: CoordinateNetwork) -> dict:
        """The float fit's quality before quantization: its PSNR over every (known) sample."""
        return {"psnr": psnr_from_mse(self.distortion(model))}

    @torch.no_grad()
    def distortion(self, model: CoordinateNetwork) -> float:
        """MSE over every (known) sample."""
        return float(self._mean_over_known((model(self.grid) - self.target) ** 2))
