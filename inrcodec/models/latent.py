"""An image as entropy-coded multi-resolution latent grids and a small synthesis network on top
(the C3 / Cool-chic family of overfitted codecs, with an SL²A-style synthesis).

    grids y_0 … y_{L−1}: one integer channel each, y_l of ⌈H/2^l⌉ × ⌈W/2^l⌉ latents covering [−1, 1]²
    features(x) = [bilinear_l(y_l, x)]_l            (cell-centred, edges clamped: any render grid)
                  or [bicubic(cascade(y)_l, x)]_l  (upsampling 2: the grids first brought to the
                                                     finest cells by learned filters)
    degree D ≥ 1 (SL²A):  ψ = LayerNorm( Σ_l Σ_k a[l, o, k] · T_k(tanh(g_l · features_l)) );  z = ψ;
                          z = ReLU(W_i (z ⊙ ψ) + b_i) per hidden layer;  rgb = W_out (z ⊙ ψ) + b_out
    degree 0 (plain):     z = ReLU(W_0 · features + b_0);  z = ReLU(W_i z + b_i);  rgb = W_out z + b_out

The latents are coded under the context model of ``entropy.latents``, whose weights — like the
synthesis's — are weight groups of the bitstream; ``ContextNetwork`` is its float twin, trained by
the encoder. Rendering at another size only changes where the grids are sampled, so ``--scale`` and
``--size`` work for any factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..entropy.latents import CONTEXT_INPUTS, MAX_LATENT_RANGE, ContextModel, grid_shapes
from ..errors import BitstreamError
from .base import CoordinateNetwork, Grid, ModelConfig, Ops
from .sl2a import LowRankLinear

MAX_LEVELS = 10
LEARNED_UPSAMPLING = 2  # the config's ``upsampling`` of the learned cascade
CASCADE_TAPS = 4  # free taps per filter of the cascade (both filters are symmetric)
ENCODE_FIXED_BYTES, ENCODE_PIXEL_BYTES = 900 << 20, 240  # see LatentConfig.encode_bytes
STACK_TILE_SIDE = 512  # the decoder computes the cascade's stack in tiles of this many cells a side


@dataclass(frozen=True)
class LatentConfig(ModelConfig):
    """Shape of a latent-grid image model; the finest grid is ``latent_height × latent_width`` (the
    coded image's size)."""

    latent_height: int = 1
    latent_width: int = 1
    levels: int = 7
    width: int = 24  # of the synthesis
    hidden_layers: int = 1
    degree: int = 0  # Chebyshev degree of the synthesis's SL²A block; 0: a plain ReLU MLP
    rank: int = 0  # of the hidden layers (0: dense)
    context_width: int = 16  # hidden width of the context model
    upsampling: int = 0  # how the grids are sampled: 0 bilinear, 1 bicubic (Keys, a = −0.75), 2 learned

    def latent_shapes(self) -> list[tuple[int, int]]:
        return grid_shapes(self.latent_height, self.latent_width, self.levels)

    def latent_count(self) -> int:
        return sum(rows * columns for rows, columns in self.latent_shapes())

    def synthesis_parameters(self) -> int:
        w, levels = self.width, self.levels
        first = levels * w * (self.degree + 1) + 2 * w + levels if self.degree else levels * w + w
        layer = 2 * w * self.rank + w if self.rank else w * w + w
        return first + self.hidden_layers * layer + w * self.out_features + self.out_features

    def upsampling_parameters(self) -> int:
        return 2 * CASCADE_TAPS * (self.levels - 1) if self.upsampling == LEARNED_UPSAMPLING else 0

    def context_parameters(self) -> int:
        c = self.context_width
        return CONTEXT_INPUTS * c + c + 2 * c + 2 + 2 * self.levels

    def parameter_count(self) -> int:
        return self.synthesis_parameters() + self.context_parameters() + self.upsampling_parameters()

    def point_ops(self) -> Ops:
        w, levels = self.width, self.levels
        taps = 4 if self.upsampling else 2  # per axis
        sample = Ops(elementwise=(taps * taps + 2 * taps) * levels)  # gathers and blends per grid
        if self.degree:  # tanh, the recurrence, projection, LayerNorm
            first = Ops(levels * (self.degree + 1) * w, levels * (3 * self.degree + 2) + 4 * w, levels)
        else:
            first = Ops(levels * w, 2 * w)
        layer = Ops(2 * w * self.rank, 3 * w + self.rank) if self.rank else Ops(w * w, 3 * w)
        return sample + first + self.hidden_layers * layer + Ops(w * self.out_features, w + self.out_features)

    def axis_ops(self) -> Ops:
        return Ops(elementwise=(40 if self.upsampling else 12) * self.levels)  # each grid's taps and weights

    def decode_ops(self) -> Ops:
        c = self.context_width  # per latent: its context, the context model, its table, decoding
        per_latent = Ops(CONTEXT_INPUTS * c + 2 * c, elementwise=4 * CONTEXT_INPUTS + 3 * c + 64)
        ops = self.latent_count() * per_latent
        if self.upsampling == LEARNED_UPSAMPLING:  # the cascade, once, on the finest grid's cells
            pixels = self.latent_height * self.latent_width  # per pixel and level: ×2 and pre-filter
            ops = ops + pixels * (self.levels - 1) * Ops(4 * CASCADE_TAPS, elementwise=4 * CASCADE_TAPS)
        return ops

    def decode_bytes(self) -> int:
        """Per latent: the grid as decoded (int64), then as floats, and while the largest grid decodes
        its padded copy and wave positions (32 bytes in all; 3 MP measured ~20); per pixel, the
        learned cascade's float stack, built a tile at a time; the table cache at the widest range."""
        tables = 4096 * (4 * MAX_LATENT_RANGE + 1) * 8
        cascade = 0
        if self.upsampling == LEARNED_UPSAMPLING:
            cascade = 4 * self.levels * (self.latent_height * self.latent_width + 8 * STACK_TILE_SIDE ** 2)
        return 32 * self.latent_count() + cascade + tables

    def encode_bytes(self) -> int:
        """Peak memory of an encode (a tiled training step: ``latent_objective``), as measured at 0.4 to
        24 MP (benchmarks/RESULTS.md, "Photographs of every size"): the interpreter, torch and one tile's
        work, then per pixel the latents with their gradient and optimiser state, the target, the
        decoder's check."""
        return ENCODE_FIXED_BYTES + ENCODE_PIXEL_BYTES * self.latent_height * self.latent_width

    def floats_per_point(self) -> int:
        first = self.levels * (self.degree + 2) if self.degree else 0
        return 2 * self.levels + first + 5 * self.width + self.rank + self.out_features

    def signal_shape(self) -> tuple[int, int]:
        return (self.latent_height, self.latent_width)

    def limits(self) -> dict[str, tuple[int, int]]:
        return {
            **super().limits(),
            "latent_height": (1, 65535),
            "latent_width": (1, 65535),
            "levels": (1, MAX_LEVELS),
            "width": (1, 64),
            "hidden_layers": (0, 4),
            "degree": (0, 8),
            "rank": (0, self.width),
            "context_width": (1, 32),
            "upsampling": (0, 2),
        }


class ContextNetwork(nn.Module):
    """The context model in floats, as the encoder trains it: ``[neighbours, upsampled / 16]`` ->
    (μ, log2 b) per latent; ``entropy.latents.ContextModel`` is its exact integer counterpart."""

    def __init__(self, config: LatentConfig):
        super().__init__()
        self.hidden = nn.Linear(CONTEXT_INPUTS, config.context_width)
        self.output = nn.Linear(config.context_width, 2)
        self.level_bias = nn.Parameter(torch.zeros(config.levels, 2))
        with torch.no_grad():
            self.output.weight.mul_(0.1)
            self.output.bias.zero_()

    def forward(self, contexts: torch.Tensor, level: int) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.output(torch.relu(self.hidden(contexts))) + self.level_bias[level]
        return out[..., 0], out[..., 1]


class Synthesis(nn.Module):
    """Latent features ``(..., levels)`` -> samples ``(..., out_features)``."""

    def __init__(self, config: LatentConfig):
        super().__init__()
        self.degree, width = config.degree, config.width
        if config.degree:
            self.gain = nn.Parameter(torch.full((config.levels,), 0.25))
            self.coefficients = nn.Parameter(torch.empty(config.levels, width, config.degree + 1))
            nn.init.xavier_uniform_(self.coefficients)
            self.norm = nn.LayerNorm(width)
        else:
            self.first = nn.Linear(config.levels, width)
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
        self.doubling = nn.Parameter(BICUBIC_DOUBLING.repeat(levels - 1, 1))  # (L − 1, 4): makes level l
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


SHARPENING_REACH = 3  # cells each side of a cell that the sharpening filter reads


def tile_ranges(height: int, width: int, side: int):
    """The ``((top, bottom), (left, right))`` ranges of ``side``² tiles covering a picture, row by row."""
    for top in range(0, height, side):
        for left in range(0, width, side):
            yield (top, min(height, top + side)), (left, min(width, left + side))


def cascade_windows(shapes: list[tuple[int, int]], rows: tuple[int, int], columns: tuple[int, int]) -> list:
    """Per level, finest first, the ``((top, bottom), (left, right))`` ranges of the cascade's stack
    on which its finest ``rows`` × ``columns`` depend (a doubled cell reads coarse cells i − 2 … i + 2)."""
    windows = [(rows, columns)]
    for shape in shapes[1:]:
        windows.append(tuple((max(0, start // 2 - 2), min(cells, (stop - 1) // 2 + 3))
                             for (start, stop), cells in zip(windows[-1], shape)))
    return windows


def cascade_crops(shapes: list[tuple[int, int]], windows: list) -> list[tuple[slice, slice]]:
    """The slices of each grid that ``LearnedUpsampling`` reads for ``windows``: each window widened by
    the sharpening's reach, within the grid."""
    return [tuple(slice(max(0, start - SHARPENING_REACH), min(cells, stop + SHARPENING_REACH))
                  for (start, stop), cells in zip(window, shape)) for window, shape in zip(windows, shapes)]


# bicubic (Keys, a = −0.75) doubling: cell 2i sits a quarter cell before coarse cell i
BICUBIC_DOUBLING = torch.tensor([-0.03515625, -0.10546875, 0.26171875, 0.87890625])


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


class LatentImage(CoordinateNetwork):
    """The decoder's network: latent grids (buffers, integer-valued), synthesis and context model
    (and, for ``upsampling`` 2, the learned upsampling)."""

    def __init__(self, config: LatentConfig):
        super().__init__()
        self.config = config
        self.synthesis = Synthesis(config)
        self.context = ContextNetwork(config)
        if config.upsampling == LEARNED_UPSAMPLING and config.levels > 1:
            self.upsampling = LearnedUpsampling(config.levels)
        for level, shape in enumerate(config.latent_shapes()):
            self.register_buffer(f"latent{level}", torch.zeros(shape), persistent=False)
        self._cascade = (None, None)  # (key, stack): the learned upsampling's output, kept for rendering

    def latent_grids(self) -> list[torch.Tensor]:
        return [getattr(self, f"latent{level}") for level in range(self.config.levels)]

    def set_latents(self, grids) -> None:
        for level, grid in enumerate(grids):
            getattr(self, f"latent{level}").copy_(torch.as_tensor(grid))

    def forward(self, grid: Grid) -> torch.Tensor:
        return self.synthesis(self.features(grid))

    def forward_points(self, coords: torch.Tensor) -> torch.Tensor:
        pairs = torch.arange(len(coords), device=coords.device)[:, None].expand(-1, 2)
        return self(Grid((coords[:, 0], coords[:, 1]), pairs))

    def sources(self) -> tuple[list[torch.Tensor], object]:
        """What rendering samples and with which taps: the grids themselves (``upsampling`` 0, 1), or
        the learned cascade's finest-cell stack, sampled bicubically (2)."""
        if self.config.upsampling != LEARNED_UPSAMPLING:
            return self.latent_grids(), sampling_taps(self.config.upsampling)
        if self.config.levels == 1:
            return self.latent_grids(), _bicubic_taps
        tensors = self.latent_grids() + list(self.upsampling.parameters())
        key = tuple((id(t), t._version) for t in tensors)  # a tile render computes the cascade once
        if self._cascade[0] != key or torch.is_grad_enabled():
            self._cascade = (key, self._stack())
        return list(self._cascade[1]), _bicubic_taps

    def _stack(self) -> torch.Tensor:
        """The learned cascade's stack; without gradients, a tile at a time (its memory is the
        stack's own plus one tile's work), the same values as at once."""
        grids = self.latent_grids()
        if torch.is_grad_enabled():
            return self.upsampling(grids)
        shapes = self.config.latent_shapes()
        height, width = shapes[0]
        stack = grids[0].new_empty(len(grids), height, width)
        for rows, columns in tile_ranges(height, width, STACK_TILE_SIDE):
            windows = cascade_windows(shapes, rows, columns)
            crops = [grid[crop] for grid, crop in zip(grids, cascade_crops(shapes, windows))]
            stack[:, slice(*rows), slice(*columns)] = self.upsampling(crops, windows)
        return stack

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
    """The taps function of the config's ``upsampling``: (coordinates, cells) -> (indices, weights)."""
    return _bicubic_taps if upsampling else _bilinear_taps


def _bilinear_taps(coordinates: torch.Tensor, cells: int):
    """Indices ``(n, 2)`` and weights ``(n, 2)`` sampling ``cells`` cell-centred latents over
    [−1, 1] at ``coordinates`` (PyTorch's ``align_corners=False``: the position clamped at 0)."""
    position = ((coordinates + 1) * (cells / 2) - 0.5).clamp(min=0)
    first = position.floor().clamp(max=cells - 1)
    weight = (position - first).clamp(max=1)
    first = first.long()
    return torch.stack([first, (first + 1).clamp(max=cells - 1)], -1), torch.stack([1 - weight, weight], -1)


CUBIC_A = -0.75  # PyTorch's (and OpenCV's) Keys kernel


def _bicubic_taps(coordinates: torch.Tensor, cells: int):
    """Indices ``(n, 4)`` and weights ``(n, 4)`` of Keys' cubic convolution at ``coordinates``
    (PyTorch's ``align_corners=False`` bicubic: the position is not clamped, the taps are)."""
    position = (coordinates + 1) * (cells / 2) - 0.5
    first = position.floor()
    t = position - first
    a = CUBIC_A
    near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731 - |x| <= 1
    far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731 - 1 < |x| < 2
    weights = torch.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], -1)
    indices = (first.long()[:, None] + torch.arange(-1, 3, device=coordinates.device)).clamp(0, cells - 1)
    return indices, weights


CONTEXT_TENSORS = ("context.hidden.weight", "context.hidden.bias", "context.output.weight", "context.output.bias",
                   "context.level_bias")
MIN_CONTEXT_EXPONENT = -16  # context weights are integers times 2^e, e in [-16, 0]


def integer_context_model(names: list[str], integers: list[np.ndarray], step_indices: list[int],
                          config: LatentConfig) -> ContextModel:
    """The exact context model from the network's weight groups — their parameter ``names``, decoded
    ``integers`` and ``step_indices`` — of which it takes its five tensors, whose steps must be
    powers of two in [2^-16, 1] (step index a multiple of 4)."""
    integers, step_indices = dict(zip(names, integers)), dict(zip(names, step_indices))
    exponents = []
    for name in CONTEXT_TENSORS:
        index = step_indices[name]
        if index % 4 or not MIN_CONTEXT_EXPONENT <= index // 4 <= 0:
            raise BitstreamError(f"corrupt bitstream: {name} has step index {index}; the context model's "
                                 "steps are powers of two from 2^-16 to 1")
        exponents.append(index // 4)
    c = config.context_width
    shapes = ((c, CONTEXT_INPUTS), (c,), (2, c), (2,), (config.levels, 2))
    tensors = [np.asarray(integers[name], dtype=np.int64).reshape(shape) for name, shape in zip(CONTEXT_TENSORS, shapes)]
    return ContextModel(*tensors, exponents=tuple(exponents))
