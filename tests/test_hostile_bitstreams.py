"""Hostile bitstreams — mutated conformance files, often resealed with a valid checksum so the
parser itself is attacked, and random bytes — decode or raise the codec's own error, never anything
else. The numpy-driven run is the short run of benchmarks/fuzz.py (its long run is in RESULTS.md);
the hypothesis properties shrink any failure to a minimal input."""

import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inrcodec
from benchmarks.fuzz import CONFORMANCE, run
from inrcodec.errors import CodecError

SEEDS = [path.read_bytes() for path in CONFORMANCE]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_a_short_fuzz_run_finds_no_crash():
    result = run(count=3000, seed=1)
    assert result["crashed"] == 0
    assert result["refused"] > 0 and result["decoded"] + result["refused"] == 3000


def _decodes_or_refuses(data: bytes) -> None:
    try:
        pixels = inrcodec.decode_image(data, max_pixels=1 << 20)
    except CodecError:
        return
    assert pixels.ndim == 3 and pixels.shape[0] * pixels.shape[1] <= 1 << 20


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes_are_refused_or_decoded(data):
    _decodes_or_refuses(data)
    _decodes_or_refuses(b"\x89INR" + data)


@FUZZ
@given(st.sampled_from(SEEDS), st.integers(min_value=4, max_value=60), st.integers(0, 255),
       st.booleans())
def test_any_header_byte_with_any_value_is_safe(seed, position, value, reseal):
    mutated = bytearray(seed)
    mutated[min(position, len(mutated) - 5)] = value
    body = bytes(mutated[:-4])
    _decodes_or_refuses(body + struct.pack("<I", zlib.crc32(body)) if reseal else bytes(mutated))


@pytest.mark.parametrize("position,value,message", [(4, 2, "version"), (5, 9, "signal kind")])
def test_wrong_version_and_wrong_signal_kind_are_named(position, value, message):
    body = bytearray(SEEDS[0][:-4])
    body[position] = value
    with pytest.raises(CodecError, match=message):
        inrcodec.decode_image(bytes(body) + struct.pack("<I", zlib.crc32(bytes(body))))
