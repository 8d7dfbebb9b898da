"""The weight coder: integer tables fixed by the format, exactly the tables constriction codes with,
a payload (weights and the latent model's context-coded latents) that an independent decoder
written from FORMAT.md reads back, and rates the step search can trust."""

import hashlib
import json
from decimal import Decimal, getcontext
from pathlib import Path

import constriction
import numpy as np
import pytest

from inrcodec.bitstream import read_bitstream
from inrcodec.entropy import (MAX_SCALE_INDEX, MEAN_OFFSETS, PRECISION, CodedGroup, code_length, decode_groups,
                              encode_groups, laplace_frequencies, scale_from_index)
from inrcodec.entropy.laplace import LAPLACE_DECAY_Q32, frequency_tables
from inrcodec.signals import SignalKind
from inrcodec.errors import BitstreamError

BITSTREAMS = Path(__file__).resolve().parents[1] / "bitstreams"
VECTORS = json.loads((BITSTREAMS / "vectors" / "laplace_tables.json").read_text())


def _groups(rng):
    integers = [np.round(rng.laplace(0, s, n)).astype(np.int32) for s, n in ((3, 500), (0.2, 40), (40, 77))]
    integers.append(np.zeros(9, dtype=np.int32))
    groups = [CodedGroup(len(q), int(np.abs(q).max()), 64 + round(8 * np.log2(max(np.abs(q).mean(), 0.1))))
              for q in integers]
    return integers, groups


class ReferencePayload:
    """FORMAT.md's payload decoding, written from the text alone (no constriction): symbols popped
    one at a time under a given frequency table."""

    def __init__(self, payload: bytes):
        self.words = list(np.frombuffer(payload, dtype="<u4").tolist())
        self.state = self.words.pop() if self.words else 0
        if self.words:
            self.state = (self.state << 32) | self.words.pop()

    def pop(self, frequencies: np.ndarray) -> int:
        cumulative = np.concatenate([[0], np.cumsum(frequencies)])
        quantile = self.state & ((1 << PRECISION) - 1)
        symbol = int(np.searchsorted(cumulative, quantile, side="right")) - 1
        self.state = int(frequencies[symbol]) * (self.state >> PRECISION) + quantile - int(cumulative[symbol])
        if self.state < 1 << 32 and self.words:
            self.state = (self.state << 32) | self.words.pop()
        return symbol

    def finished(self) -> bool:
        return self.state == 0 and not self.words


def reference_decode(payload: bytes, groups: list[CodedGroup], whole: bool = True,
                     reader: ReferencePayload | None = None) -> list[np.ndarray]:
    """The weight groups of a payload; ``whole``: nothing may follow them (latent files continue
    with their latents, read on from ``reader``)."""
    reader = reader or ReferencePayload(payload)
    out = []
    for group in groups:
        values = np.zeros(group.size, dtype=np.int64)
        if group.max_abs:
            frequencies = laplace_frequencies(group.scale_index, group.max_abs)
            for i in range(group.size):
                values[i] = reader.pop(frequencies) - group.max_abs
        out.append(values)
    assert not whole or reader.finished()
    return out


NEIGHBOURS = ((-1, -2), (-1, -1), (-1, 0), (0, -1), (0, -2), (-2, -2), (-2, -1), (-2, 0), (0, -3), (-1, -3), (-3, 0))


def _shift(x, k: int):
    """``x·2^k`` as FORMAT.md defines it for integers (floor division for negative k)."""
    return x * (1 << k) if k >= 0 else x // (1 << -k)


def reference_decode_latents(reader: ReferencePayload, height: int, width: int, ranges: list[int],
                             context: dict[str, tuple[np.ndarray, int]]) -> list[np.ndarray]:
    """FORMAT.md's latent decoding ("The latent-grid model", payload), from the text alone: grids
    coarsest first, in waves, each latent under the table its integer context model gives.
    ``context`` maps the five context tensors' names to their integers and step exponents."""
    levels = len(ranges)
    weights = {name: (q.astype(object), exponent) for name, (q, exponent) in context.items()}
    (level_bias, e_lb), (w1, e_w1), (b1, e_b1) = (weights[f"context.{n}"] for n in ("level_bias", "hidden.weight", "hidden.bias"))
    (w2, e_w2), (b2, e_b2) = weights["context.output.weight"], weights["context.output.bias"]
    w1, w2, level_bias = w1.reshape(-1, 12), w2.reshape(2, -1), level_bias.reshape(levels, 2)
    grids: list[np.ndarray | None] = [None] * levels
    for level in reversed(range(levels)):
        rows, columns = -(-height // 2 ** level), -(-width // 2 ** level)
        grid, limit = np.zeros((rows, columns), dtype=np.int64), ranges[level]
        coarser = grids[level + 1] if level + 1 < levels else None
        for wave in range(rows + columns - 1) if limit else ():
            for r in range(max(0, wave - columns + 1), min(rows, wave + 1)):
                c = wave - r
                x = [16 * int(grid[r + dr, c + dc]) if 0 <= r + dr and 0 <= c + dc else 0 for dr, dc in NEIGHBOURS]
                x.append(_upsampled(coarser, r, c) if coarser is not None else 0)
                hidden = [min(max(_shift(sum(xk * int(wk) for xk, wk in zip(x, w1[i])), e_w1 + 4)
                                  + _shift(int(b1[i]), e_b1 + 8), 0), 1 << 24) for i in range(len(b1))]
                o = [_shift(sum(h * int(wk) for h, wk in zip(hidden, w2[k])), e_w2 - 4) + _shift(int(b2[k]), e_b2 + 4)
                     + _shift(int(level_bias[level, k]), e_lb + 4) for k in range(2)]
                mean = min(max(o[0], -16 * limit), 16 * limit)
                centre = (mean + 8) // 16
                scale_index = min(max(o[1] // 2 + 64, 0), 255)
                symbol = reader.pop(laplace_frequencies(scale_index, 2 * limit, mean - 16 * centre))
                value = symbol + centre - 2 * limit
                assert abs(value) <= limit, "a latent outside its grid's range: the payload is corrupt"
                grid[r, c] = value
        grids[level] = grid
    return grids


def _upsampled(coarser: np.ndarray, r: int, c: int) -> int:
    """``u``: the coarser grid doubled by bilinear weights in sixteenths at (r, c)."""
    def near_far(i: int, n: int) -> tuple[int, int]:
        near = min(i // 2, n - 1)
        return near, min(max(near - 1 if i % 2 == 0 else near + 1, 0), n - 1)

    (nr, fr), (nc, fc) = near_far(r, coarser.shape[0]), near_far(c, coarser.shape[1])
    return int(9 * coarser[nr, nc] + 3 * coarser[nr, fc] + 3 * coarser[fr, nc] + coarser[fr, fc])


def test_round_trip_is_exact_and_all_zero_groups_cost_nothing():
    integers, groups = _groups(np.random.default_rng(1))
    payload = encode_groups(integers, groups)
    assert all(np.array_equal(a, b) for a, b in zip(decode_groups(payload, groups, 2), integers))
    assert encode_groups([np.zeros(5, np.int32)], [CodedGroup(5, 0, 64)]) == b""
    assert decode_groups(b"", [CodedGroup(5, 0, 64)], 2)[0].tolist() == [0] * 5


def test_damaged_payloads_raise_the_codec_error():
    integers, groups = _groups(np.random.default_rng(2))
    payload = encode_groups(integers, groups)
    for damaged in (payload[:-1], payload + b"\0\0\0\1", b"\0\0\0\0", payload[:-4], payload + b"\0\0\0\0"):
        with pytest.raises(BitstreamError):
            decode_groups(damaged, groups, 2)


def test_the_frozen_constants_are_exactly_the_rounded_exponentials():
    getcontext().prec = 60
    for j, constant in enumerate(LAPLACE_DECAY_Q32):
        exact = Decimal(2) ** 32 * (-1 / (16 * Decimal(scale_from_index(j)))).exp()
        assert constant == int(exact.to_integral_value()) and 0 <= constant < 1 << 32
    assert len(LAPLACE_DECAY_Q32) == MAX_SCALE_INDEX + 1


@pytest.mark.parametrize("max_abs", [1, 2, 7, 300, 32768])
def test_every_table_is_a_unimodal_distribution_over_2_to_the_24_symmetric_when_centred(max_abs):
    for j in range(0, MAX_SCALE_INDEX + 1, 5):
        for offset in (-8, -3, 0, 5, 7):
            frequencies = laplace_frequencies(j, max_abs, offset)
            assert frequencies.sum() == 1 << PRECISION and frequencies.min() >= 1
            assert len(frequencies) == 2 * max_abs + 1
            assert np.all(np.diff(frequencies[max_abs:]) <= 0) and np.all(np.diff(frequencies[:max_abs + 1]) >= 0)
            if offset == 0:
                assert np.array_equal(frequencies, frequencies[::-1])
            mirrored = laplace_frequencies(j, max_abs, -offset) if offset != -8 else None
            if mirrored is not None and max_abs > 1:  # a mean of +δ is a mean of −δ seen in a mirror,
                assert np.abs(frequencies[1:-1] - mirrored[::-1][1:-1]).max() <= 2 * max_abs + 1  # up to the remainder


def test_the_tables_reproduce_the_committed_vectors_entry_for_entry():
    """Any change to the table procedure — ours, numpy's integer arithmetic — fails here."""
    for table in VECTORS["tables"]:
        frequencies = laplace_frequencies(table["scale_index"], table["max_abs"], table["mean_offset"])
        assert frequencies.tolist() == table["frequencies"]
    scale_indices, offsets = np.divmod(np.arange((MAX_SCALE_INDEX + 1) * len(MEAN_OFFSETS)), len(MEAN_OFFSETS))
    offsets += MEAN_OFFSETS.start  # every (j, f), j first: the digests' order
    for max_abs, expected in VECTORS["sha256_every_scale_index_and_offset"].items():
        digest, batch = hashlib.sha256(), max(1, (1 << 22) // (2 * int(max_abs) + 1))
        for start in range(0, len(scale_indices), batch):  # the batched builder the latent decoder uses
            rows = frequency_tables(scale_indices[start:start + batch], int(max_abs), offsets[start:start + batch])
            digest.update(rows.astype("<u4").tobytes())
        assert digest.hexdigest() == expected, f"tables at range ±{max_abs} changed"


def _coder_left_cumulatives(frequencies: np.ndarray) -> list[int]:
    """Read the coder's own table back: on an empty coder (state 0) encoding one symbol leaves
    exactly that symbol's left cumulative frequency as the state."""
    model = constriction.stream.model.Categorical((frequencies - 1).astype(np.float64), perfect=False)
    cumulatives = []
    for symbol in range(len(frequencies)):
        coder = constriction.stream.stack.AnsCoder()
        coder.encode_reverse(np.array([symbol], np.int32), model)
        words = coder.get_compressed().tolist()
        cumulatives.append(int(words[0]) if words else 0)
    return cumulatives


def test_constriction_codes_with_exactly_the_formats_tables():
    """Fails if a constriction release changes how it turns our integers into its tables."""
    rng = np.random.default_rng(0)
    for j in range(MAX_SCALE_INDEX + 1):
        max_abs = (1, 3, 12)[j % 3]
        frequencies = laplace_frequencies(j, max_abs, MEAN_OFFSETS[j % 16])
        assert _coder_left_cumulatives(frequencies) == np.concatenate([[0], np.cumsum(frequencies)[:-1]]).tolist()
    wide = laplace_frequencies(int(rng.integers(40, 120)), 2000)
    assert _coder_left_cumulatives(wide)[1990:2011] == np.cumsum(np.concatenate([[0], wide]))[1990:2011].tolist()


def test_an_independent_decoder_written_from_the_format_reads_the_payload():
    integers, groups = _groups(np.random.default_rng(3))
    decoded = reference_decode(encode_groups(integers, groups), groups)
    assert all(np.array_equal(a, b) for a, b in zip(decoded, integers))
    for path in sorted((BITSTREAMS / "conformance").glob("v2_*.inr")):
        from inrcodec.decoder import coded_groups
        from inrcodec.quant.groups import group_sizes

        stream = read_bitstream(path.read_bytes())
        groups = coded_groups(stream.groups, group_sizes(stream.config))
        expected = json.loads(path.with_suffix(".weights.json").read_text())["groups"]
        decoded = reference_decode(stream.payload, groups, whole=not stream.latent_ranges)
        assert [q.tolist() for q in decoded] == expected


def test_an_independent_decoder_written_from_the_format_reads_the_latents_of_every_image_conformance_file():
    from inrcodec.decoder import coded_groups
    from inrcodec.quant import weight_groups
    from inrcodec.quant.groups import group_sizes

    latent_files = [path for path in sorted((BITSTREAMS / "conformance").glob("v2_*.inr"))
                    if read_bitstream(path.read_bytes()).latent_ranges
                    and read_bitstream(path.read_bytes()).kind is SignalKind.IMAGE]
    assert len(latent_files) >= 3  # bilinear, bicubic and learned upsampling
    for path in latent_files:
        stream = read_bitstream(path.read_bytes())
        model = stream.config
        reader = ReferencePayload(stream.payload)
        integers = reference_decode(stream.payload, coded_groups(stream.groups, group_sizes(model)), whole=False,
                                    reader=reader)
        context = {group.label: (q, header.step_index // 4) for group, q, header
                   in zip(weight_groups(model), integers, stream.groups) if group.label.startswith("context.")}
        assert all(header.step_index % 4 == 0 for group, header in zip(weight_groups(model), stream.groups)
                   if group.label.startswith("context."))
        latents = reference_decode_latents(reader, stream.config.latent_height, stream.config.latent_width,
                                           list(stream.latent_ranges), context)
        assert reader.finished()
        expected = json.loads(path.with_suffix(".weights.json").read_text())["latents"]
        assert [grid.tolist() for grid in latents] == expected, path.name
        assert any(np.any(grid) for grid in latents)  # the check can fail: the grids hold values


def test_the_rate_the_step_search_uses_matches_the_coded_length():
    """Real payload bits − table estimate lies in [−32, +64]: the ANS state flushed at the end."""
    rng = np.random.default_rng(4)
    for _ in range(200):
        integers, groups = [], []
        for _ in range(int(rng.integers(1, 12))):
            max_abs, size = int(rng.integers(1, 300)), int(rng.integers(1, 3000))
            q = np.clip(np.round(rng.laplace(0, rng.uniform(0.1, 20), size)), -max_abs, max_abs).astype(np.int32)
            integers.append(q)
            groups.append(CodedGroup(size, max_abs, int(rng.integers(30, 160))))
        estimate = sum(code_length(q, g.scale_index, g.max_abs) for q, g in zip(integers, groups))
        assert -32 <= 8 * len(encode_groups(integers, groups)) - estimate <= 64
