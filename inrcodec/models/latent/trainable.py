"""The trainable (PyTorch) twin of the latent-grid model (``network.py``: the model, its config and its
normative forward): the synthesis, the float context model the encoder trains (``coding``
holds its exact integer counterpart) and the learned upsampling, whose gradients are summed in a
fixed order so that an encode's bytes do not depend on its thread count."""

from __future__ import annotations

import torch
from torch import nn

from ..sl2a.trainable import LowRankLinear
from ..trainable_base import CoordinateNetwork, Grid
from .coding import CONTEXT_INPUTS
from .network import BICUBIC_DOUBLING, CASCADE_TAPS, LEARNED_UPSAMPLING, SHARPENING_REACH, LatentConfig
from .network import sampling_taps as network_sampling_taps

class ContextNetwork(nn.Module):
    """The context model in floats, as the encoder trains it: ``[neighbours, upsampled / 16]`` ->
    (μ, log2 b) per latent; ``coding.ContextModel`` is its exact integer counterpart."""

    def __init__(self, config: LatentConfig):
        super().__init__()
        self.hidden = nn.Linear(CONTEXT_INPUTS, config.context_width)
        self.output = nn.Linear(config.context_width, 2)
        self.level_bias = nn.Parameter(torch.zeros(len(config.latent_shapes()), 2))  # per grid
        with torch.no_grad():
            self.output.weight.mul_(0.1)
            self.output.bias.zero_()

    def forward(self, contexts: torch.Tensor, level: int) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.output(torch.relu(self.hidden(contexts))) + self.level_bias[level]
        return out[..., 0], out[..., 1]


class Synthesis(nn.Module):
    """Latent features ``(..., grids)`` -> samples ``(..., out_features)``."""

    def __init__(self, config: LatentConfig):
        super().__init__()
        self.degree, width, grids = config.degree, config.width, len(config.latent_shapes())
        if config.degree:
            self.gain = nn.Parameter(torch.full((grids,), 0.25))
            self.coefficients = nn.Parameter(torch.empty(grids, width, config.degree + 1))
            nn.init.xavier_uniform_(self.coefficients)
            self.norm = nn.LayerNorm(width)
        else:
            self.first = nn.Linear(grids, width)
        self.hidden = nn.ModuleList(
            LowRankLinear(width, config.rank) if config.rank else nn.Linear(width, width)
            for _ in range(config.hidden_layers))
        self.output = nn.Linear(width, config.out_features)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if not self.degree:  # a plain ReLU MLP
            z = torch.relu(self.first(features))
            for layer in self.hidden:
                z = torch.relu(layer(z))
            return self.output(z)
        t = torch.tanh(features * self.gain)
        basis = [torch.ones_like(t), t]  # T_k by the recurrence T_{k+1} = 2t·T_k − T_{k−1}
        for _ in range(2, self.degree + 1):
            basis.append(2 * t * basis[-1] - basis[-2])
        psi = self.norm(torch.einsum("...lk,lok->...o", torch.stack(basis[:self.degree + 1], dim=-1),
                                     self.coefficients))
        z = psi  # SL²A: every layer's input modulated by ψ
        for layer in self.hidden:
            z = torch.relu(layer(z * psi))
        return self.output(z * psi)


class LearnedUpsampling(nn.Module):
    """``upsampling`` 2: the grids brought to the finest grid's cells by a learned cascade (Cool-chic's
    upsampling): from the coarsest, the stack so far is doubled by a separable symmetric 8-tap
    filter, cropped to the next grid's size and stacked under that grid, itself first sharpened by a
    separable symmetric 7-tap residual filter. Initialised as bicubic doubling and the identity, the
    filters learn what bicubic interpolation loses; rendering then samples the finest-cell stack
    bicubically, so any render size stays defined."""

    def __init__(self, levels: int):
        super().__init__()
        self.doubling = nn.Parameter(torch.tensor(BICUBIC_DOUBLING).repeat(levels - 1, 1))  # (L − 1, 4): makes level l
        self.sharpening = nn.Parameter(torch.zeros(levels - 1, CASCADE_TAPS))

    def forward(self, grids: list[torch.Tensor], windows: list | None = None) -> torch.Tensor:
        """Grids ``(⌈H/2^l⌉, ⌈W/2^l⌉)``, finest first -> the stack ``(levels, H, W)``, finest first.
        With ``windows`` (``cascade_windows``), ``grids`` are the crops ``cascade_crops`` names and
        the result is the stack's finest window alone, equal to that window of the whole stack:
        the encoder trains a large picture a tile at a time."""
        if windows is None:
            windows = [((0, rows), (0, columns)) for rows, columns in (grid.shape for grid in grids)]
        stack = None
        for level in reversed(range(len(grids))):
            grid, ((top, bottom), (left, right)) = grids[level], windows[level]
            if stack is not None:  # every grid but the coarsest is sharpened
                grid = grid + _sharpen(grid[None], self.sharpening[level])[0]
            row, column = (max(0, start - SHARPENING_REACH) for start, _ in windows[level])  # the crop's origin
            own = grid[top - row:bottom - row, left - column:right - column][None]
            if stack is None:
                stack = own
            else:  # the doubled stack starts at twice the coarser window's origin
                (row, _), (column, _) = windows[level + 1]
                doubled = _double(stack, self.doubling[level])
                stack = torch.cat([own, doubled[:, top - 2 * row:bottom - 2 * row, left - 2 * column:right - 2 * column]])
        return stack


# bicubic (Keys, a = −0.75) doubling: cell 2i sits a quarter cell before coarse cell i


def _double(stack: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """``(C, h, w)`` -> ``(C, 2h, 2w)``: along each axis, output 2i is
    ``t0·x[i−2] + t2·x[i−1] + t3·x[i] + t1·x[i+1]`` and 2i + 1 its mirror image (edges replicated)."""
    t0, t1, t2, t3 = taps
    for dim in (1, 2):
        n = stack.shape[dim]
        padded = torch.cat([stack.narrow(dim, 0, 1)] * 2 + [stack] + [stack.narrow(dim, n - 1, 1)] * 2, dim)
        x = [padded.narrow(dim, 2 + k, n) for k in (-2, -1, 0, 1, 2)]
        even = _times(x[0], t0) + _times(x[1], t2) + _times(x[2], t3) + _times(x[3], t1)
        odd = _times(x[1], t1) + _times(x[2], t3) + _times(x[3], t2) + _times(x[4], t0)
        stack = torch.stack([even, odd], dim + 1).flatten(dim, dim + 1)
    return stack


def _sharpen(grid: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """``(C, h, w)`` filtered along each axis by ``(a, b, c, d, c, b, a)`` (edges replicated)."""
    a, b, c, d = taps
    for dim in (1, 2):
        n = grid.shape[dim]
        padded = torch.cat([grid.narrow(dim, 0, 1)] * 3 + [grid] + [grid.narrow(dim, n - 1, 1)] * 3, dim)
        x = [padded.narrow(dim, 3 + k, n) for k in range(-3, 4)]
        grid = _times(x[3], d) + _times(x[2] + x[4], c) + _times(x[1] + x[5], b) + _times(x[0] + x[6], a)
    return grid


def _times(tensor: torch.Tensor, tap: torch.Tensor) -> torch.Tensor:
    """``tensor · tap`` for a 0-d ``tap``, whose gradient is summed the same way on any number of
    threads (autograd's one-step sum to a scalar splits across threads: the bytes of an encode
    would depend on them)."""
    return _Times.apply(tensor, tap)


class _Times(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor, tap):
        ctx.save_for_backward(tensor, tap)
        return tensor * tap

    @staticmethod
    def backward(ctx, grad):
        tensor, tap = ctx.saved_tensors
        tap_grad = None
        if ctx.needs_input_grad[1]:
            tap_grad = grad * tensor
            while tap_grad.dim():  # innermost first: each partial sum is one thread's, in a fixed order
                tap_grad = tap_grad.sum(-1)
        return grad * tap if ctx.needs_input_grad[0] else None, tap_grad


class LatentBuffers:
    """The latent grids of a trainable latent model (image or scene) as buffers holding the
    decoder's integers (``register_latents``)."""

    def latent_grids(self) -> list[torch.Tensor]:
        return [getattr(self, f"latent{grid}") for grid in range(len(self.config.latent_shapes()))]

    def set_latents(self, grids) -> None:
        for level, grid in enumerate(grids):
            getattr(self, f"latent{level}").copy_(torch.as_tensor(grid))


def register_latents(module: nn.Module, config) -> None:
    """One zero buffer per grid of ``config`` (not saved with the module's state)."""
    for level, shape in enumerate(config.latent_shapes()):
        module.register_buffer(f"latent{level}", torch.zeros(shape), persistent=False)


class LatentImage(LatentBuffers, CoordinateNetwork):
    """The decoder's network: latent grids (buffers, integer-valued), synthesis and context model
    (and, for ``upsampling`` 2, the learned upsampling)."""

    def __init__(self, config: LatentConfig):
        super().__init__()
        self.config = config
        self.synthesis = Synthesis(config)
        self.context = ContextNetwork(config)
        if config.upsampling == LEARNED_UPSAMPLING and config.levels > 1:
            self.upsampling = LearnedUpsampling(config.levels)
        register_latents(self, config)

    def forward(self, grid: Grid) -> torch.Tensor:
        return self.synthesis(self.features(grid))

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        pairs = torch.arange(len(coords), device=coords.device)[:, None].expand(-1, 2)
        return self(Grid((coords[:, 0], coords[:, 1]), pairs))

    def sources(self) -> tuple[list[torch.Tensor], object]:
        """What the grids are sampled from and with which taps: the grids themselves (``upsampling``
        0, 1), or the learned cascade's finest-cell stack, sampled bicubically (2). (The decoder's
        ``network.LatentNetwork`` builds that stack a tile at a time; training needs it whole.)"""
        if self.config.upsampling != LEARNED_UPSAMPLING:
            return self.latent_grids(), sampling_taps(self.config.upsampling)
        if self.config.levels == 1:
            return self.latent_grids(), sampling_taps(1)
        return list(self.upsampling(self.latent_grids())), sampling_taps(1)

    def features(self, grid: Grid) -> torch.Tensor:
        """Every source sampled at the points of ``grid`` (bilinearly or bicubically, as the config
        says): ``(…, levels)``. Separable: the taps of each axis, then a weighted sum of gathers."""
        sources, taps = self.sources()
        rows_axis, columns_axis = grid.axes
        samples = []
        for latent in sources:
            (rows, row_weights), (columns, column_weights) = taps(rows_axis, latent.shape[0]), \
                taps(columns_axis, latent.shape[1])
            if grid.index is not None:  # chosen points: (N, taps) per axis
                rows, row_weights = rows[grid.index[:, 0]], row_weights[grid.index[:, 0]]
                columns, column_weights = columns[grid.index[:, 1]], column_weights[grid.index[:, 1]]
                value = sum(row_weights[:, i] * sum(column_weights[:, j] * latent[rows[:, i], columns[:, j]]
                                                    for j in range(columns.shape[1]))
                            for i in range(rows.shape[1]))
            else:  # the full grid: along the columns on the grid's own rows, then along the rows
                across = sum(column_weights[:, j] * latent[:, columns[:, j]] for j in range(columns.shape[1]))
                value = sum(row_weights[:, i, None] * across[rows[:, i]] for i in range(rows.shape[1]))
            samples.append(value)
        return torch.stack(samples, dim=-1)


def sampling_taps(upsampling: int):
    """The taps function of the config's ``upsampling`` on tensors: the normative (NumPy) taps of
    ``network.sampling_taps``, computed on the axis and moved to its device."""
    taps = network_sampling_taps(upsampling)

    def on_device(coordinates: torch.Tensor, cells: int) -> tuple[torch.Tensor, torch.Tensor]:
        indices, weights = taps(coordinates.detach().cpu().numpy(), cells)
        return torch.from_numpy(indices).to(coordinates.device), torch.from_numpy(weights).to(coordinates.device)
    return on_device
