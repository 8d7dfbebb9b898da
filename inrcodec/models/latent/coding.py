"""Coding the latent grids: a context model predicts each latent's Laplace(μ, b) from latents already
decoded, in exact integer arithmetic, and the latent is coded under the format's table for it.

Grids are coded from the coarsest to the finest. Within a grid a latent's context is its eleven
nearest causal neighbours (``CONTEXT_OFFSETS``, zero beyond the border) and the coarser grid's value
bilinearly doubled to its position (``upsample_sixteenths``). Every neighbour lies on an earlier
anti-diagonal (row + column smaller), so a whole anti-diagonal — a *wave* — is decoded at once:
vectorised, never one Python call per latent, in rows + columns waves per grid.

The context model is a one-hidden-layer ReLU network whose weights are integers times powers of
two; it runs in int64 fixed point (inputs in sixteenths, the hidden layer floored to 1/256ths and
clamped to [0, 2^24], outputs floored to μ in sixteenths and log2 b in eighths of an octave), so any
machine computes the same tables. μ is clamped to the grid's range ±M; the latent y is coded as the
symbol y − c + 2M (c = ⌊(16μ + 8)/16⌋) under ``F(j, 2M, f)`` with f = 16μ − 16c and
j = clamp(8·log2 b + 64, 0, 255). The same functions serve encoder and decoder.
"""

from __future__ import annotations

from dataclasses import dataclass

import constriction
import numpy as np

from ...errors import BitstreamError
from ...entropy.laplace import MAX_SCALE_INDEX, MEAN_OFFSETS, PRECISION, SCALE_INDEX_OFFSET, frequency_tables

# (row, column) offsets of the causal neighbours, in the order the context model takes them
CONTEXT_OFFSETS = ((-1, -2), (-1, -1), (-1, 0), (0, -1), (0, -2), (-2, -2), (-2, -1), (-2, 0),
                   (0, -3), (-1, -3), (-3, 0))
CONTEXT_INPUTS = len(CONTEXT_OFFSETS) + 1  # the neighbours, then the upsampled coarser value
HIDDEN_CLAMP = 1 << 24
PAD = 3  # the farthest neighbour is 3 rows up or 3 columns left
MAX_LATENT_RANGE = 255  # |latent| ≤ 255 (trained latents stay within a few tens): a grid declares its own
CHUNK_SYMBOLS = 1 << 15  # the encoder pushes its symbols in chunks of about this many
TABLES_AT_ONCE = 256  # tables a grid builds in one pass (at the widest range, ~25 MB of work)
EAGER_TABLE_ENTRIES = 1 << 20  # a grid's tables are all built up front when they hold no more than this


@dataclass(frozen=True)
class ContextModel:
    """The context model's integer weights; each tensor's value is ``q · 2^exponent``."""

    hidden_weight: np.ndarray  # (width, CONTEXT_INPUTS) int64
    hidden_bias: np.ndarray  # (width,)
    output_weight: np.ndarray  # (2, width)
    output_bias: np.ndarray  # (2,)
    level_bias: np.ndarray  # (levels, 2): added to the outputs of each grid
    exponents: tuple[int, int, int, int, int]  # of the five tensors above

    def predict(self, contexts16: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
        """``(N, CONTEXT_INPUTS)`` contexts in sixteenths -> (μ in sixteenths, log2 b in eighths)."""
        e_w1, e_b1, e_w2, e_b2, e_level = self.exponents
        # hidden, in 1/256ths: W1·x is in units of 2^(e_w1 − 4)
        hidden = _times_power_of_two(_exact_product(contexts16, self.hidden_weight.T), e_w1 - 4 + 8) \
            + _times_power_of_two(self.hidden_bias, e_b1 + 8)
        hidden = np.minimum(np.maximum(hidden, 0, out=hidden), HIDDEN_CLAMP, out=hidden)
        out = _times_power_of_two(_exact_product(hidden, self.output_weight.T), e_w2 - 8 + 4) \
            + _times_power_of_two(self.output_bias, e_b2 + 4) \
            + _times_power_of_two(self.level_bias[level], e_level + 4)
        return out[:, 0], _times_power_of_two(out[:, 1], -1)  # μ in 1/16; log2 b from 1/16 to 1/8


def _exact_product(integers: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``integers @ weights`` of int64 arrays, exactly, by float64 BLAS (numpy's integer matmul is an
    unvectorised loop): every product and partial sum is an integer below 2^53 — contexts are below
    2^12 in magnitude and hidden values below 2^24, weights below 2^15, at most 32 terms — so float64
    holds each one exactly."""
    return (integers.astype(np.float64) @ weights.astype(np.float64)).astype(np.int64)


def _times_power_of_two(values, exponent: int) -> np.ndarray:
    """``values · 2^exponent`` floored to an integer, exactly (int64 shifts)."""
    values = np.asarray(values, dtype=np.int64)
    return values << exponent if exponent >= 0 else values >> -exponent


def parent_taps(count: int, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """Along one axis of ``count`` latents whose coarser grid has ``limit``: each latent's parent
    (index // 2) and the parent's neighbour on the latent's side, both clamped at the border."""
    index = np.arange(count)
    near = np.minimum(index // 2, limit - 1)
    far = np.clip(np.where(index % 2 == 0, near - 1, near + 1), 0, limit - 1)
    return near, far


def upsample_sixteenths(parent: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The coarser grid bilinearly doubled to ``shape``, in sixteenths (exact integers): a latent
    takes 9/16 of its parent, 3/16 of each of the parent's neighbours on its side along one axis,
    1/16 of the diagonal one (``parent_taps``)."""
    rows_near, rows_far = parent_taps(shape[0], parent.shape[0])
    columns_near, columns_far = parent_taps(shape[1], parent.shape[1])
    p = parent.astype(np.int64)
    return (9 * p[np.ix_(rows_near, columns_near)] + 3 * p[np.ix_(rows_near, columns_far)]
            + 3 * p[np.ix_(rows_far, columns_near)] + p[np.ix_(rows_far, columns_far)])


def grid_shapes(height: int, width: int, levels: int) -> list[tuple[int, int]]:
    """Finest first: grid l is ⌈height / 2^l⌉ × ⌈width / 2^l⌉."""
    return [(-(-height // 2 ** level), -(-width // 2 ** level)) for level in range(levels)]


class _Waves:
    """The anti-diagonal waves of one grid: for each wave, the flat positions of its latents in the
    zero-padded grid (their causal neighbours are at fixed offsets from them)."""

    def __init__(self, shape: tuple[int, int]):
        rows, columns = shape
        i, j = np.meshgrid(np.arange(rows, dtype=np.int32), np.arange(columns, dtype=np.int32), indexing="ij")
        order = np.lexsort((i.ravel(), (i + j).ravel()))  # by wave, then by row
        self.rows, self.columns = i.ravel()[order], j.ravel()[order]
        del i, j, order
        stride = columns + PAD
        self.padded = (self.rows.astype(np.int64) + PAD) * stride + self.columns + PAD
        self.offsets = np.array([dy * stride + dx for dy, dx in CONTEXT_OFFSETS])
        self.bounds = np.append(np.searchsorted(self.rows + self.columns, np.arange(rows + columns - 1)), len(self.rows))
        self.padded_shape = (rows + PAD, stride)

    def __iter__(self):
        for start, stop in zip(self.bounds[:-1], self.bounds[1:]):
            yield int(start), int(stop)


class TableCache:
    """The probability rows (frequency − 1, as exact floats) of the tables one grid uses."""

    def __init__(self, max_abs: int):
        self.max_abs = max_abs
        self.rows = np.zeros(((MAX_SCALE_INDEX + 1) * len(MEAN_OFFSETS), 4 * max_abs + 1))  # pages touched on use
        self.filled = np.zeros(len(self.rows), dtype=bool)
        if self.rows.size <= EAGER_TABLE_ENTRIES:  # narrow tables: all at once, cheaper than finding which
            scale_indices, offsets = np.divmod(np.arange(len(self.rows)), len(MEAN_OFFSETS))
            self(scale_indices, offsets + MEAN_OFFSETS.start)

    def __call__(self, scale_indices: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        keys = scale_indices * len(MEAN_OFFSETS) + offsets - MEAN_OFFSETS.start
        missing = np.unique(keys[~self.filled[keys]])
        for start in range(0, len(missing), TABLES_AT_ONCE):  # built together, a bounded batch at a time
            chosen = missing[start:start + TABLES_AT_ONCE]
            scales, means = np.divmod(chosen, len(MEAN_OFFSETS))
            self.rows[chosen] = frequency_tables(scales, 2 * self.max_abs, means + MEAN_OFFSETS.start) - 1
            self.filled[chosen] = True
        return self.rows[keys]


def predicted_tables(model: ContextModel, level: int, contexts16: np.ndarray, max_abs: int):
    """(centres, scale indices, mean offsets) of the latents whose contexts are given."""
    mean16, log_scale8 = model.predict(contexts16, level)
    mean16 = np.minimum(np.maximum(mean16, -16 * max_abs), 16 * max_abs)  # np.clip costs 7 µs a call here
    centres = (mean16 + 8) >> 4
    offsets = mean16 - 16 * centres
    scale_indices = np.minimum(np.maximum(log_scale8 + SCALE_INDEX_OFFSET, 0), MAX_SCALE_INDEX)
    return centres, scale_indices, offsets


def _contexts(padded: np.ndarray, waves: _Waves, upsampled: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Contexts (sixteenths) of the latents ``start:stop`` in wave order."""
    neighbours = padded.reshape(-1)[waves.padded[start:stop, None] + waves.offsets]
    up = upsampled[waves.rows[start:stop], waves.columns[start:stop]]
    return np.concatenate([16 * neighbours, up[:, None]], axis=1)


def _row_contexts(padded: np.ndarray, upsampled: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Contexts (sixteenths) of grid rows ``start:stop`` in row-major order (``padded``: the grid
    with PAD zero rows above and columns left; ``upsampled``: its parent, doubled)."""
    columns = padded.shape[1] - PAD
    neighbours = [padded[PAD + dy + start:PAD + dy + stop, PAD + dx:PAD + dx + columns] for dy, dx in CONTEXT_OFFSETS]
    return np.stack([16 * n for n in neighbours] + [upsampled[start:stop]], axis=-1).reshape(-1, CONTEXT_INPUTS)


def _grid_tables(model: ContextModel, level: int, grids: list[np.ndarray], max_abs: int):
    """(centres, scale indices, mean offsets) of every latent of grid ``level``, each ``(rows,
    columns)``, computed ``CHUNK_SYMBOLS`` latents at a time (the encoder knows every latent)."""
    grid = grids[level]
    padded = np.pad(grid.astype(np.int64), ((PAD, 0), (PAD, 0)))
    upsampled = _upsampled(grids, level)
    tables = [np.empty(grid.shape, dtype=np.int64) for _ in range(3)]
    rows = max(1, CHUNK_SYMBOLS // grid.shape[1])
    for start in range(0, grid.shape[0], rows):
        stop = min(grid.shape[0], start + rows)
        for table, values in zip(tables, predicted_tables(model, level, _row_contexts(padded, upsampled, start, stop), max_abs)):
            table[start:stop] = values.reshape(stop - start, -1)
    return tables


PER_LATENT_TABLES = constriction.stream.model.Categorical(perfect=False)  # tables given per latent


def encode_latents(coder, grids: list[np.ndarray], ranges: list[int], model: ContextModel) -> None:
    """Push the latent grids (finest first, integers within ±range) onto the ANS ``coder`` so that
    ``decode_latents`` pops them coarsest grid first, wave by wave (the coder is a stack)."""
    chunks = []
    for level in reversed(range(len(grids))):
        grid, max_abs = grids[level].astype(np.int64), ranges[level]
        if max_abs == 0:
            continue  # an all-zero grid costs nothing
        waves = _Waves(grid.shape)
        centres, scale_indices, offsets = (table[waves.rows, waves.columns]
                                           for table in _grid_tables(model, level, grids, max_abs))
        symbols = (grid[waves.rows, waves.columns] - centres + 2 * max_abs).astype(np.int32)
        chunks += symbol_chunks(symbols, max_abs, scale_indices, offsets)
    push_chunks(coder, chunks)


def symbol_chunks(symbols: np.ndarray, max_abs: int, scale_indices: np.ndarray, offsets: np.ndarray) -> list:
    """One grid's symbols in coding order, in chunks of ``CHUNK_SYMBOLS`` sharing the grid's tables."""
    cache = TableCache(max_abs)
    return [(symbols[start:start + CHUNK_SYMBOLS], cache, scale_indices[start:start + CHUNK_SYMBOLS],
             offsets[start:start + CHUNK_SYMBOLS]) for start in range(0, len(symbols), CHUNK_SYMBOLS)]


def push_chunks(coder, chunks: list) -> None:
    """Push ``symbol_chunks`` (every grid's, in decoding order) onto the ANS stack, last first."""
    for symbols, cache, scale_indices, offsets in reversed(chunks):
        coder.encode_reverse(symbols, PER_LATENT_TABLES, cache(scale_indices, offsets))


def decode_latents(coder, shapes: list[tuple[int, int]], ranges: list[int], model: ContextModel) -> list[np.ndarray]:
    """Pop the latent grids off the ANS ``coder``; returns them finest first."""
    grids: list[np.ndarray | None] = [None] * len(shapes)
    for level in reversed(range(len(shapes))):
        if ranges[level] == 0:
            grids[level] = np.zeros(shapes[level], dtype=np.int64)
            continue
        max_abs, waves = ranges[level], _Waves(shapes[level])
        padded = np.zeros(waves.padded_shape, dtype=np.int64)
        flat = padded.reshape(-1)
        upsampled = _upsampled(grids, level, shapes[level])
        cache = TableCache(max_abs)
        for start, stop in waves:
            centres, scale_indices, offsets = predicted_tables(model, level, _contexts(padded, waves, upsampled, start, stop),
                                                      max_abs)
            symbols = coder.decode(PER_LATENT_TABLES, cache(scale_indices, offsets))
            values = symbols.astype(np.int64) - 2 * max_abs + centres
            if np.abs(values).max() > max_abs:
                raise BitstreamError(f"corrupt payload: a latent of grid {level} is outside its range ±{max_abs}")
            flat[waves.padded[start:stop]] = values
        grids[level] = padded[PAD:, PAD:].copy()
    return grids


def latent_code_lengths(model: ContextModel, grids: list[np.ndarray], ranges: list[int]) -> list[float]:
    """Bits the coder spends on each latent grid (integers, finest first) under the integer context
    ``model``: each latent's own table, priced with the table (the payload matches their sum to within
    the ANS flush). Vectorised over whole grids: the encoder knows every latent."""
    lengths = []
    for level, grid in enumerate(grids):
        if not ranges[level]:
            lengths.append(0.0)
            continue
        symbol_count = 2 * ranges[level]
        centres, scale_indices, offsets = (table.reshape(-1) for table in _grid_tables(model, level, grids, ranges[level]))
        symbols = grid.reshape(-1).astype(np.int64) - centres + symbol_count
        lengths.append(symbol_bits(symbols, symbol_count, scale_indices, offsets))
    return lengths


def symbol_bits(symbols: np.ndarray, symbol_count: int, scale_indices: np.ndarray, offsets: np.ndarray) -> float:
    """Bits of coding ``symbols`` (of 0..symbol_count) each under its own table, priced with it."""
    keys, inverse = np.unique(scale_indices * len(MEAN_OFFSETS) + offsets - MEAN_OFFSETS.start, return_inverse=True)
    total = 0.0
    for start in range(0, len(keys), TABLES_AT_ONCE):  # the tables in use, a bounded batch at a time
        scales, means = np.divmod(keys[start:start + TABLES_AT_ONCE], len(MEAN_OFFSETS))
        bits = PRECISION - np.log2(frequency_tables(scales, symbol_count, means + MEAN_OFFSETS.start))
        chosen = (inverse >= start) & (inverse < start + TABLES_AT_ONCE)
        total += float(bits[inverse[chosen] - start, symbols[chosen]].sum())
    return total


def _upsampled(grids, level: int, shape: tuple[int, int] | None = None) -> np.ndarray:
    shape = shape or grids[level].shape
    if level + 1 >= len(grids):
        return np.zeros(shape, dtype=np.int64)
    return upsample_sixteenths(grids[level + 1], shape)
