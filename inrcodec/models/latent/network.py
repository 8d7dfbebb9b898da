"""An image as entropy-coded multi-resolution latent grids and a small synthesis network on top
(the C3 / Cool-chic family of overfitted codecs, with an SL²A-style synthesis).

    grids y_0 … y_{L−1}: one integer channel each, y_l of ⌈H/2^l⌉ × ⌈W/2^l⌉ latents covering [−1, 1]²
    features(x) = [bilinear_l(y_l, x)]_l            (cell-centred, edges clamped: any render grid)
                  or [bicubic(cascade(y)_l, x)]_l  (upsampling 2: the grids first brought to the
                                                     finest cells by learned filters)
    degree D ≥ 1 (SL²A):  ψ = LayerNorm( Σ_l Σ_k a[l, o, k] · T_k(tanh(g_l · features_l)) );  z = ψ;
                          z = ReLU(W_i (z ⊙ ψ) + b_i) per hidden layer;  rgb = W_out (z ⊙ ψ) + b_out
    degree 0 (plain):     z = ReLU(W_0 · features + b_0);  z = ReLU(W_i z + b_i);  rgb = W_out z + b_out

The latents are coded under the context model of ``coding``, whose weights — like the
synthesis's — are weight groups of the bitstream; ``trainable.ContextNetwork`` is its float twin, trained
by the encoder. Rendering at another size only changes where the grids are sampled, so ``--scale`` and
``--size`` work for any factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .coding import (CONTEXT_INPUTS, MAX_LATENT_RANGE, ContextModel, decode_latents, encode_latents, grid_shapes,
                     latent_code_lengths)
from ...errors import BitstreamError
from ..base import ModelConfig, Network, Ops, Parameters, layer_norm, linear, linear_shapes, relu

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

    def parameter_shapes(self):
        """Synthesis, context model, then the learned upsampling's filters (``upsampling`` 2)."""
        shapes = synthesis_and_context_shapes(self)
        if self.upsampling == LEARNED_UPSAMPLING and self.levels > 1:
            shapes += [("upsampling.doubling", (self.levels - 1, CASCADE_TAPS)),
                       ("upsampling.sharpening", (self.levels - 1, CASCADE_TAPS))]
        return shapes

    def point_ops(self) -> Ops:
        taps = 4 if self.upsampling else 2  # per axis
        sample = Ops(elementwise=(taps * taps + 2 * taps) * self.levels)  # gathers and blends per grid
        return sample + synthesis_ops(self)

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
        """Peak memory of an encode (a tiled training step: ``objective``), as measured at 0.4 to
        24 MP (benchmarks/RESULTS.md, "Photographs of every size"): the interpreter, torch and one tile's
        work, then per pixel the latents with their gradient and optimiser state, the target, the
        decoder's check."""
        return ENCODE_FIXED_BYTES + ENCODE_PIXEL_BYTES * self.latent_height * self.latent_width

    def floats_per_point(self) -> int:
        first = self.levels * (self.degree + 2) if self.degree else 0
        return 2 * self.levels + first + 5 * self.width + self.rank + self.out_features

    def signal_shape(self) -> tuple[int, int]:
        return (self.latent_height, self.latent_width)

    # the latents' coding (a scene's 3-D model has the same three, depending on its side data)
    def encode_latents(self, coder, grids: list[np.ndarray], ranges: list[int], context: ContextModel,
                       side_data=None) -> None:
        encode_latents(coder, grids, ranges, context)

    def decode_latents(self, coder, ranges: list[int], context: ContextModel, side_data=None) -> list[np.ndarray]:
        return decode_latents(coder, self.latent_shapes(), ranges, context)

    def code_lengths(self, context: ContextModel, grids: list[np.ndarray], ranges: list[int], side_data=None):
        return latent_code_lengths(context, grids, ranges)

    def coded_latents(self, side_data=None) -> list[int]:
        return [rows * columns for rows, columns in self.latent_shapes()]

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
BICUBIC_DOUBLING = (-0.03515625, -0.10546875, 0.26171875, 0.87890625)


def double(stack: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """``(C, h, w)`` -> ``(C, 2h, 2w)``: along each axis, output 2i is
    ``t0·x[i−2] + t2·x[i−1] + t3·x[i] + t1·x[i+1]`` and 2i + 1 its mirror image (edges replicated)."""
    t0, t1, t2, t3 = taps
    for axis in (1, 2):
        n = stack.shape[axis]
        padded = np.concatenate([np.take(stack, [0, 0], axis)] + [stack] + [np.take(stack, [n - 1, n - 1], axis)], axis)
        x = [np.take(padded, range(2 + k, 2 + k + n), axis) for k in (-2, -1, 0, 1, 2)]
        even = x[0] * t0 + x[1] * t2 + x[2] * t3 + x[3] * t1
        odd = x[1] * t1 + x[2] * t3 + x[3] * t2 + x[4] * t0
        shape = list(stack.shape)
        shape[axis] *= 2
        stack = np.stack([even, odd], axis + 1).reshape(shape)
    return stack


def sharpen(grid: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """``(C, h, w)`` filtered along each axis by ``(a, b, c, d, c, b, a)`` (edges replicated)."""
    a, b, c, d = taps
    for axis in (1, 2):
        n = grid.shape[axis]
        padded = np.concatenate([np.take(grid, [0] * 3, axis), grid, np.take(grid, [n - 1] * 3, axis)], axis)
        x = [np.take(padded, range(3 + k, 3 + k + n), axis) for k in range(-3, 4)]
        grid = x[3] * d + (x[2] + x[4]) * c + (x[1] + x[5]) * b + (x[0] + x[6]) * a
    return grid


def cascade(grids: list[np.ndarray], doubling: np.ndarray, sharpening: np.ndarray, windows: list) -> np.ndarray:
    """The learned upsampling (FORMAT.md, *The latent-grid model*): grids, finest first, cropped as
    ``cascade_crops`` says for ``windows`` -> that window of the stack ``(levels, rows, columns)``."""
    stack = None
    for level in reversed(range(len(grids))):
        grid, ((top, bottom), (left, right)) = grids[level], windows[level]
        if stack is not None:  # every grid but the coarsest is sharpened
            grid = grid + sharpen(grid[None], sharpening[level])[0]
        row, column = (max(0, start - SHARPENING_REACH) for start, _ in windows[level])  # the crop's origin
        own = grid[top - row:bottom - row, left - column:right - column][None]
        if stack is None:
            stack = own
        else:  # the doubled stack starts at twice the coarser window's origin
            (row, _), (column, _) = windows[level + 1]
            doubled = double(stack, doubling[level])
            stack = np.concatenate([own, doubled[:, top - 2 * row:bottom - 2 * row, left - 2 * column:right - 2 * column]])
    return stack


def sampling_taps(upsampling: int):
    """The taps function of the config's ``upsampling``: (coordinates, cells) -> (indices, weights)."""
    return bicubic_taps if upsampling else bilinear_taps


def bilinear_taps(coordinates: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(n, 2)`` and weights ``(n, 2)`` sampling ``cells`` cell-centred latents over
    [−1, 1] at ``coordinates`` (PyTorch's ``align_corners=False``: the position clamped at 0)."""
    first, weight = bilinear_first_tap(coordinates, cells)
    return np.stack([first, np.minimum(first + 1, cells - 1)], -1), np.stack([1 - weight, weight], -1)


def bilinear_first_tap(coordinates: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """``bilinear_taps``'s first index and the second tap's weight (the second index is the next
    latent, clamped at the last; the first weight is 1 − the second)."""
    position = np.maximum((coordinates + 1) * (cells / 2) - 0.5, 0)
    first = np.minimum(np.floor(position), cells - 1)
    return first.astype(np.int64), np.minimum(position - first, 1)


CUBIC_A = -0.75  # PyTorch's (and OpenCV's) Keys kernel


def bicubic_taps(coordinates: np.ndarray, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(n, 4)`` and weights ``(n, 4)`` of Keys' cubic convolution at ``coordinates``
    (PyTorch's ``align_corners=False`` bicubic: the position is not clamped, the taps are)."""
    position = (coordinates + 1) * (cells / 2) - 0.5
    first = np.floor(position)
    t = position - first
    a = CUBIC_A
    near = lambda x: ((a + 2) * x - (a + 3)) * x * x + 1  # noqa: E731 - |x| <= 1
    far = lambda x: ((a * x - 5 * a) * x + 8 * a) * x - 4 * a  # noqa: E731 - 1 < |x| < 2
    weights = np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], -1)
    indices = np.clip(first.astype(np.int64)[:, None] + np.arange(-1, 3), 0, cells - 1)
    return indices, weights


class LatentNetwork(Network):
    """The normative forward of the latent-grid model: its decoded latents sampled at the render
    grid's points (bilinearly, bicubically, or bicubically from the learned cascade's stack, built
    once here a tile at a time), then the synthesis."""

    config: LatentConfig

    def __init__(self, config: LatentConfig, parameters: Parameters, latents: list[np.ndarray]):
        super().__init__(config, parameters)
        grids = [np.asarray(grid, dtype=np.float32) for grid in latents]
        if config.upsampling == LEARNED_UPSAMPLING and config.levels > 1:  # one source: the whole stack
            self.sources, self.taps = [self._stack(grids)], bicubic_taps
        else:  # one source per grid
            self.sources, self.taps = [grid[None] for grid in grids], sampling_taps(config.upsampling)

    def _stack(self, grids: list[np.ndarray]) -> list[np.ndarray]:
        """The learned cascade's finest-cell stack, a tile at a time (its memory is the stack's own
        plus one tile's work)."""
        shapes = self.config.latent_shapes()
        height, width = shapes[0]
        doubling, sharpening = self.parameters["upsampling.doubling"], self.parameters["upsampling.sharpening"]
        stack = np.empty((len(grids), height, width), dtype=np.float32)
        for rows, columns in tile_ranges(height, width, STACK_TILE_SIDE):
            windows = cascade_windows(shapes, rows, columns)
            crops = [grid[crop] for grid, crop in zip(grids, cascade_crops(shapes, windows))]
            stack[:, slice(*rows), slice(*columns)] = cascade(crops, doubling, sharpening, windows)
        return stack

    def features(self, axes: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Every grid sampled on the grid ``axes`` (rows, columns): ``(rows, columns, levels)``.
        Separable: along the columns on the source rows the taps read, then along the rows; a
        source is ``(grids, rows, columns)``, several grids of one size sampled together."""
        rows_axis, columns_axis = axes
        samples = []
        for source in self.sources:
            rows, row_weights = self.taps(rows_axis, source.shape[1])
            columns, column_weights = self.taps(columns_axis, source.shape[2])
            first, last = int(rows.min()), int(rows.max())  # only the source rows the tile's taps read
            band = source[:, first:last + 1]
            across = sum(column_weights[:, j] * band[:, :, columns[:, j]] for j in range(columns.shape[1]))
            samples.append(sum(row_weights[:, i, None] * across[:, rows[:, i] - first] for i in range(rows.shape[1])))
        return np.moveaxis(np.concatenate(samples), 0, -1)

    def synthesize(self, features: np.ndarray) -> np.ndarray:
        return synthesize(self.config, self.parameters, features)

    def on_grid(self, axes):
        return self.synthesize(self.features(axes))


def synthesis_and_context_shapes(config) -> list:
    """``parameter_shapes`` of a latent model's synthesis (a feature per grid in, SL²A or a plain
    ReLU MLP) and of its context model (a bias pair per grid): what the 2-D and 3-D latent models
    share."""
    w, levels, c = config.width, len(config.latent_shapes()), config.context_width
    if config.degree:
        shapes = [("synthesis.gain", (levels,)), ("synthesis.coefficients", (levels, w, config.degree + 1)),
                  ("synthesis.norm.weight", (w,)), ("synthesis.norm.bias", (w,))]
    else:
        shapes = linear_shapes("synthesis.first", levels, w)
    for i in range(config.hidden_layers):
        if config.rank:
            shapes += linear_shapes(f"synthesis.hidden.{i}.down", w, config.rank, bias=False) \
                + linear_shapes(f"synthesis.hidden.{i}.up", config.rank, w)
        else:
            shapes += linear_shapes(f"synthesis.hidden.{i}", w, w)
    shapes += linear_shapes("synthesis.output", w, config.out_features)
    return shapes + [("context.level_bias", (levels, 2))] + linear_shapes("context.hidden", CONTEXT_INPUTS, c) \
        + linear_shapes("context.output", c, 2)


def synthesis_ops(config) -> Ops:
    """The synthesis's arithmetic per point, from its features (one per grid)."""
    w, levels = config.width, len(config.latent_shapes())
    if config.degree:  # tanh, the recurrence, projection, LayerNorm
        first = Ops(levels * (config.degree + 1) * w, levels * (3 * config.degree + 2) + 4 * w, levels)
    else:
        first = Ops(levels * w, 2 * w)
    layer = Ops(2 * w * config.rank, 3 * w + config.rank) if config.rank else Ops(w * w, 3 * w)
    return first + config.hidden_layers * layer + Ops(w * config.out_features, w + config.out_features)


def synthesize(config, p, features: np.ndarray) -> np.ndarray:
    """Latent features ``(..., grids)`` -> samples ``(..., out_features)``: the synthesis of
    ``config`` with weights ``p``."""
    if not config.degree:  # a plain ReLU MLP
        z = relu(linear(features, p, "synthesis.first"))
        for i in range(config.hidden_layers):
            z = relu(_hidden(config, p, z, i))
        return linear(z, p, "synthesis.output")
    t = np.tanh(features * p["synthesis.gain"])
    basis = [np.ones_like(t), t]  # T_k by the recurrence T_{k+1} = 2t·T_k − T_{k−1}
    for _ in range(2, config.degree + 1):
        basis.append(2 * t * basis[-1] - basis[-2])
    terms = np.stack(basis[:config.degree + 1], axis=-1)  # (..., levels, D + 1)
    coefficients = p["synthesis.coefficients"]  # (levels, width, D + 1)
    flat = terms.reshape(*terms.shape[:-2], -1)
    psi = layer_norm(flat @ coefficients.transpose(0, 2, 1).reshape(flat.shape[-1], -1),
                     p["synthesis.norm.weight"], p["synthesis.norm.bias"])
    z = psi  # SL²A: every layer's input modulated by ψ
    for i in range(config.hidden_layers):
        z = relu(_hidden(config, p, z * psi, i))
    return linear(z * psi, p, "synthesis.output")


def _hidden(config, p, z: np.ndarray, index: int) -> np.ndarray:
    name = f"synthesis.hidden.{index}"
    if config.rank:
        return linear(linear(z, p, f"{name}.down"), p, f"{name}.up")
    return linear(z, p, name)


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
    shapes = ((c, CONTEXT_INPUTS), (c,), (2, c), (2,), (len(config.latent_shapes()), 2))
    tensors = [np.asarray(integers[name], dtype=np.int64).reshape(shape) for name, shape in zip(CONTEXT_TENSORS, shapes)]
    return ContextModel(*tensors, exponents=tuple(exponents))
