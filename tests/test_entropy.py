"""The weight coder: integer tables fixed by the format, exactly the tables constriction codes with,
a payload an independent decoder written from FORMAT.md reads back, and rates the step search can
trust."""

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
from inrcodec.entropy.laplace import LAPLACE_DECAY_Q32
from inrcodec.errors import BitstreamError

BITSTREAMS = Path(__file__).resolve().parents[1] / "bitstreams"
VECTORS = json.loads((BITSTREAMS / "vectors" / "laplace_tables.json").read_text())


def _groups(rng):
    integers = [np.round(rng.laplace(0, s, n)).astype(np.int32) for s, n in ((3, 500), (0.2, 40), (40, 77))]
    integers.append(np.zeros(9, dtype=np.int32))
    groups = [CodedGroup(len(q), int(np.abs(q).max()), 64 + round(8 * np.log2(max(np.abs(q).mean(), 0.1))))
              for q in integers]
    return integers, groups


def reference_decode(payload: bytes, groups: list[CodedGroup], whole: bool = True) -> list[np.ndarray]:
    """FORMAT.md's payload decoding of the weight groups, written from the text alone (no
    constriction); ``whole``: nothing may follow them (latent files continue with their latents)."""
    words = list(np.frombuffer(payload, dtype="<u4").tolist())
    state = words.pop() if words else 0
    if words:
        state = (state << 32) | words.pop()
    out = []
    for group in groups:
        values = np.zeros(group.size, dtype=np.int64)
        if group.max_abs:
            frequencies = laplace_frequencies(group.scale_index, group.max_abs)
            cumulative = np.concatenate([[0], np.cumsum(frequencies)])
            for i in range(group.size):
                quantile = state & ((1 << PRECISION) - 1)
                symbol = int(np.searchsorted(cumulative, quantile, side="right")) - 1
                state = int(frequencies[symbol]) * (state >> PRECISION) + quantile - int(cumulative[symbol])
                if state < 1 << 32 and words:
                    state = (state << 32) | words.pop()
                values[i] = symbol - group.max_abs
        out.append(values)
    assert not whole or (state == 0 and not words)
    return out


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
    for max_abs, expected in VECTORS["sha256_every_scale_index_and_offset"].items():
        digest = hashlib.sha256()
        for j in range(MAX_SCALE_INDEX + 1):
            for offset in MEAN_OFFSETS:
                digest.update(laplace_frequencies(j, int(max_abs), offset).astype("<u4").tobytes())
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
        from inrcodec.bitstream import build_model_on_meta
        from inrcodec.decoder import coded_groups
        from inrcodec.quant.groups import group_sizes

        stream = read_bitstream(path.read_bytes())
        groups = coded_groups(stream.groups, group_sizes(build_model_on_meta(stream.config)))
        expected = json.loads(path.with_suffix(".weights.json").read_text())["groups"]
        decoded = reference_decode(stream.payload, groups, whole=not stream.latent_ranges)
        assert [q.tolist() for q in decoded] == expected


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
