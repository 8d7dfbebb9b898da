"""Bitstreams damaged by someone who also fixes the checksum: every one decodes or raises the
codec's own error, never anything else (the long fuzz run is a separate benchmark)."""

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

import inrcodec
from inrcodec.errors import CodecError

CONFORMANCE = sorted((Path(__file__).resolve().parents[1] / "bitstreams" / "conformance").glob("*.inr"))


def _reseal(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


@pytest.mark.parametrize("path", CONFORMANCE, ids=lambda p: p.name)
def test_mutations_with_a_valid_checksum_decode_or_fail_cleanly(path):
    rng = np.random.default_rng(0)
    body = path.read_bytes()[:-4]
    for trial in range(300):
        mutated = bytearray(body)
        kind = trial % 4
        if kind == 0:  # flip a few bits
            for position in rng.integers(0, len(mutated), 3):
                mutated[position] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:  # overwrite a byte with an extreme value
            mutated[int(rng.integers(0, len(mutated)))] = int(rng.choice([0, 0x7F, 0x80, 0xFF]))
        elif kind == 2:  # cut somewhere
            mutated = mutated[: int(rng.integers(0, len(mutated)))]
        else:  # insert random bytes
            position = int(rng.integers(0, len(mutated)))
            mutated[position:position] = rng.bytes(int(rng.integers(1, 6)))
        try:
            pixels = inrcodec.decode_image(_reseal(bytes(mutated)), max_pixels=1 << 22)
        except CodecError:
            continue
        assert pixels.ndim == 3 and pixels.size <= 4 << 22
