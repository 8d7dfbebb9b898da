"""The encoder's side of every signal kind: presets, what a fit minimises and how a decode is
measured (``SignalEncoding``, extending the decoder's ``SignalType``), and the grid objective that
images share. Imports PyTorch: the decoder never imports this module."""

from __future__ import annotations

import numpy as np
import torch

from ..train.fit import psnr_from_mse, psnr_postfix
from ..models import ModelConfig
from ..models.trainable_base import CoordinateNetwork, Grid
from ..render import cell_centres
from .base import SignalType


def centres_tensor(count: int, device=None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``render.cell_centres`` as a tensor: the same values the decoder samples at."""
    return torch.from_numpy(cell_centres(count, np.float64 if dtype == torch.float64 else np.float32)).to(device)


class SignalEncoding(SignalType):
    """A signal kind as the encoder sees it: the decoder's view plus presets, the fitting objective
    and the measures of a decode. Subclasses fill in every method."""

    def default_steps(self, level: int, model: str) -> int:
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

    def latent_objective(self, signal, network, generator: torch.Generator, known: np.ndarray | None = None,
                         precision: str = "auto", formulation=None):
        """What a latent model's fit minimises (``models.latent.fit``): ``quantize``, ``backward``,
        ``features``, ``distortion``, ``samples``; images accept another ``formulation`` of theirs
        (the speed benchmark's plain one)."""
        raise NotImplementedError(f"{self.name}s have no latent model")

    def measure(self, signal, decoded, known: np.ndarray | None) -> dict:
        """The kind's measures of a decode against the signal (image: PSNR dB and SSIM, over
        ``known`` samples only; volume: IoU)."""
        raise NotImplementedError


    def pack_side_data(self, signal) -> bytes:
        """What a bitstream of ``signal`` carries besides the network (only if ``carries_side_data``)."""
        return b""


def sample_grid(shape: tuple[int, ...], device=None) -> Grid:
    """Cell centres of a Cartesian grid of ``shape`` samples over [-1, 1]^d (first axis first)."""
    return Grid(tuple(centres_tensor(count, device) for count in shape))


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
