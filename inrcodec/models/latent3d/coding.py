"""Coding a scene's 3-D latent grids: only the latents the visual hull can reach are coded, each
under the image latents' exact integer context model (``latent.coding``) fed with 3-D contexts.

A level of C channels is C grids, coded apart. A grid's *live* latents (``live_masks``) are those a trilinear sample at a point of an occupied
occupancy cell can read: the others are never rendered, so they are zero and cost nothing. Grids
are coded coarsest first. A live latent's context is its eleven causal neighbours
(``CONTEXT_OFFSETS``, zero beyond the border or where not live) and its channel's coarser grid's value
trilinearly doubled to its position (``upsample_sixteenths``). Every neighbour lies on an earlier
diagonal plane (x + y + z smaller), so a whole plane — a *wave* — of live latents is decoded at once.
"""

from __future__ import annotations

import numpy as np

from ...errors import BitstreamError
from ..latent.coding import (CHUNK_SYMBOLS, CONTEXT_INPUTS, PER_LATENT_TABLES, ContextModel, TableCache,
                             parent_taps, predicted_tables, push_chunks, symbol_bits,
                             symbol_chunks)

# (x, y, z) offsets of the causal neighbours, in the order the context model takes them
CONTEXT_OFFSETS = ((-1, 0, 0), (0, -1, 0), (0, 0, -1), (-1, -1, 0), (-1, 0, -1), (0, -1, -1),
                   (-2, 0, 0), (0, -2, 0), (0, 0, -2), (-1, -1, -1), (1, -1, -1))
assert len(CONTEXT_OFFSETS) == CONTEXT_INPUTS - 1
PAD = 2  # the farthest neighbour is 2 cells back along an axis (and 1 forward along x)


def grid_shapes(finest: tuple[int, int, int], levels: int) -> list[tuple[int, int, int]]:
    """Finest first: grid l has ⌈n / 2^l⌉ latents along each axis of ``finest``."""
    return [tuple(-(-n // 2 ** level) for n in finest) for level in range(levels)]


def live_masks(occupancy: np.ndarray, shapes: list[tuple[int, int, int]]) -> list[np.ndarray]:
    """Per grid, which latents are coded: those whose centre lies less than one latent cell from an
    occupied cell of ``occupancy`` (G³ over the same box) along every axis — exactly the latents a
    trilinear sample in an occupied cell reads. Integer arithmetic: latent i of n has its centre at
    (i + ½)·G/n occupancy cells, so it reaches occupancy cells ⌊((2i − 1)G − 2n) / 2n⌋ + 1 to
    ⌈(2i + 3)G / 2n⌉ − 1."""
    side = occupancy.shape[0]
    table = np.zeros((side + 1,) * 3, dtype=np.int64)  # summed-volume table: boxes counted in O(1)
    table[1:, 1:, 1:] = occupancy.astype(np.int64).cumsum(0).cumsum(1).cumsum(2)
    masks = []
    for shape in shapes:
        low, high = [], []
        for n in shape:
            i = np.arange(n, dtype=np.int64)
            low.append(np.clip(((2 * i - 1) * side - 2 * n) // (2 * n) + 1, 0, side))
            high.append(np.clip(-((-(2 * i + 3) * side) // (2 * n)), 0, side))  # one past the last cell
        a0, b0, c0 = np.ix_(*low)
        a1, b1, c1 = np.ix_(*high)
        count = (table[a1, b1, c1] - table[a0, b1, c1] - table[a1, b0, c1] - table[a1, b1, c0]
                 + table[a0, b0, c1] + table[a0, b1, c0] + table[a1, b0, c0] - table[a0, b0, c0])
        masks.append(count > 0)
    return masks


def upsample_sixteenths(parent: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """The coarser grid trilinearly doubled to ``shape``, floored to sixteenths (exact integers):
    along each axis a latent takes ¾ of its parent and ¼ of the parent's neighbour on its side
    (``latent.coding.parent_taps``), so 27/64 … 1/64 in all."""
    taps = [parent_taps(n, limit) for n, limit in zip(shape, parent.shape)]
    p = parent.astype(np.int64)
    total = np.zeros(shape, dtype=np.int64)
    for wx, ix in zip((3, 1), taps[0]):
        for wy, iy in zip((3, 1), taps[1]):
            for wz, iz in zip((3, 1), taps[2]):
                total += wx * wy * wz * p[np.ix_(ix, iy, iz)]
    return total >> 2


class Waves:
    """The live latents of one grid in coding order — by diagonal plane x + y + z, then x, y, z —
    their flat positions in the grid zero-padded by PAD on every side, and each wave's bounds."""

    def __init__(self, mask: np.ndarray):
        cells = np.argwhere(mask)  # C order
        sums = cells.sum(axis=1)
        order = np.argsort(sums, kind="stable")
        self.cells, sums = cells[order], sums[order]
        self.padded_shape = tuple(n + 2 * PAD for n in mask.shape)
        strides = np.array([self.padded_shape[1] * self.padded_shape[2], self.padded_shape[2], 1])
        self.padded = (self.cells + PAD) @ strides
        self.offsets = np.array(CONTEXT_OFFSETS) @ strides
        edges = np.flatnonzero(np.diff(sums)) + 1
        self.bounds = np.concatenate([[0], edges, [len(sums)]]) if len(sums) else np.zeros(1, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.cells)

    def __iter__(self):
        for start, stop in zip(self.bounds[:-1], self.bounds[1:]):
            yield int(start), int(stop)


def _contexts(flat_padded: np.ndarray, waves: Waves, upsampled: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Contexts (sixteenths) of the live latents ``start:stop`` in coding order."""
    neighbours = flat_padded[waves.padded[start:stop, None] + waves.offsets]
    cells = waves.cells[start:stop]
    up = upsampled[cells[:, 0], cells[:, 1], cells[:, 2]]
    return np.concatenate([16 * neighbours, up[:, None]], axis=1)


def _upsampled(grids, level: int, shape, channels: int) -> np.ndarray:
    """Grid ``level``'s parent (the same channel one level coarser) doubled, or zeros."""
    if level + channels >= len(grids):
        return np.zeros(shape, dtype=np.int64)
    return upsample_sixteenths(grids[level + channels], shape)


def _grid_tables(model: ContextModel, level: int, grids: list[np.ndarray], waves: Waves, max_abs: int,
                 channels: int):
    """(centres, scale indices, mean offsets) of every live latent of grid ``level`` in coding order
    (the encoder knows every latent, so they are computed a chunk at a time, not wave by wave)."""
    padded = np.pad(grids[level].astype(np.int64), PAD).reshape(-1)
    upsampled = _upsampled(grids, level, grids[level].shape, channels)
    parts = [predicted_tables(model, level, _contexts(padded, waves, upsampled, start, start + CHUNK_SYMBOLS), max_abs)
             for start in range(0, len(waves), CHUNK_SYMBOLS)]
    return [np.concatenate([part[i] for part in parts]) for i in range(3)]


def encode_latents(coder, grids: list[np.ndarray], masks: list[np.ndarray], ranges: list[int],
                   model: ContextModel, channels: int = 1) -> None:
    """Push the live latents of ``grids`` (finest level first, ``channels`` grids per level, integers
    within ±range, zero where not live) onto the ANS ``coder`` so that ``decode_latents`` pops them
    last grid first, wave by wave."""
    chunks = []
    for level in reversed(range(len(grids))):
        max_abs, waves = ranges[level], Waves(masks[level])
        if max_abs == 0 or not len(waves):
            continue  # an all-zero grid costs nothing
        centres, scale_indices, offsets = _grid_tables(model, level, grids, waves, max_abs, channels)
        cells = waves.cells
        symbols = (grids[level][cells[:, 0], cells[:, 1], cells[:, 2]] - centres + 2 * max_abs).astype(np.int32)
        chunks += symbol_chunks(symbols, max_abs, scale_indices, offsets)
    push_chunks(coder, chunks)


def decode_latents(coder, masks: list[np.ndarray], ranges: list[int], model: ContextModel,
                   channels: int = 1) -> list[np.ndarray]:
    """Pop the live latents off the ANS ``coder``; returns the grids, finest level first (zero where
    not live)."""
    grids: list[np.ndarray | None] = [None] * len(masks)
    for level in reversed(range(len(masks))):
        shape, max_abs = masks[level].shape, ranges[level]
        waves = Waves(masks[level]) if max_abs else None
        if not waves:
            grids[level] = np.zeros(shape, dtype=np.int64)
            continue
        padded = np.zeros(waves.padded_shape, dtype=np.int64)
        flat = padded.reshape(-1)
        upsampled = _upsampled(grids, level, shape, channels)
        cache = TableCache(max_abs)
        for start, stop in waves:
            centres, scale_indices, offsets = predicted_tables(
                model, level, _contexts(flat, waves, upsampled, start, stop), max_abs)
            values = coder.decode(PER_LATENT_TABLES, cache(scale_indices, offsets)).astype(np.int64) - 2 * max_abs + centres
            if np.abs(values).max() > max_abs:
                raise BitstreamError(f"corrupt payload: a latent of grid {level} is outside its range ±{max_abs}")
            flat[waves.padded[start:stop]] = values
        grids[level] = padded[PAD:-PAD, PAD:-PAD, PAD:-PAD].copy()
    return grids


def latent_code_lengths(model: ContextModel, grids: list[np.ndarray], masks: list[np.ndarray],
                        ranges: list[int], channels: int = 1) -> list[float]:
    """Bits the coder spends on each grid's live latents (finest first) under the integer ``model``."""
    lengths = []
    for level, grid in enumerate(grids):
        waves = Waves(masks[level])
        if not ranges[level] or not len(waves):
            lengths.append(0.0)
            continue
        symbol_count = 2 * ranges[level]
        centres, scale_indices, offsets = _grid_tables(model, level, grids, waves, ranges[level], channels)
        cells = waves.cells
        symbols = grid[cells[:, 0], cells[:, 1], cells[:, 2]].astype(np.int64) - centres + symbol_count
        lengths.append(symbol_bits(symbols, symbol_count, scale_indices, offsets))
    return lengths
