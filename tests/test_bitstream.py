import struct
import zlib

import pytest

from inrcodec.bitstream import FORMAT_VERSION, MAGIC, Bitstream, GroupHeader, read_bitstream, write_bitstream
from inrcodec.errors import BitstreamError, CodecError, LimitError
from inrcodec.models import ModelId, Sl2aConfig
from inrcodec.signals import SignalKind
from inrcodec.signals.image.decode import ImageGeometry


def _with_crc(body: bytes) -> bytes:
    return body + struct.pack("<I", zlib.crc32(body))


def test_header_round_trips_field_for_field(small_bitstream):
    stream = read_bitstream(small_bitstream)
    assert write_bitstream(stream) == small_bitstream
    assert stream.kind is SignalKind.IMAGE and stream.model_id is ModelId.LATENT
    assert stream.geometry == ImageGeometry(40, 32, 3, 8)


def test_small_header_round_trip_by_hand():
    config = Sl2aConfig(2, 1, width=2, degree=1, hidden_layers=0)
    groups = (GroupHeader(3, -20, 70),) + (GroupHeader(0),) * 4  # a[0..1], LN w, b, output w, b
    stream = Bitstream(SignalKind.IMAGE, ImageGeometry(300, 2, 1, 16), ModelId.SL2A, config, groups, b"")
    data = write_bitstream(stream)
    assert data[:4] == MAGIC and data[4] == FORMAT_VERSION == 2
    assert read_bitstream(data) == stream


def test_every_truncation_and_sampled_bit_flips_are_caught_by_the_checksum(small_bitstream):
    """Damage that is not resealed never reaches the parser: the CRC-32 catches it. (Resealed damage,
    which does, is the hostile-bitstream tests' work.)"""
    for end in range(len(small_bitstream)):
        with pytest.raises(BitstreamError):
            read_bitstream(small_bitstream[:end])
    for position in range(5, len(small_bitstream), max(1, len(small_bitstream) // 64)):
        for bit in (0, 3, 7):
            damaged = bytearray(small_bitstream)
            damaged[position] ^= 1 << bit
            with pytest.raises(BitstreamError, match="checksum"):
                read_bitstream(bytes(damaged))


def test_trailing_data_wrong_version_and_foreign_files_are_rejected(small_bitstream):
    with pytest.raises(BitstreamError, match="trailing"):
        read_bitstream(_with_crc(small_bitstream[:-4] + b"\0"))
    with pytest.raises(BitstreamError, match="version"):
        read_bitstream(_with_crc(small_bitstream[:4] + b"\x09" + small_bitstream[5:-4]))
    with pytest.raises(BitstreamError, match="magic"):
        read_bitstream(b"\x89PNG\r\n\x1a\n" + bytes(40))


def test_hostile_sizes_are_refused_by_the_header_parser_allocating_under_256_kb():
    """A 20-byte file that declares a 65535² image and a 1024-wide, 1024-degree network. Measured
    with tracemalloc, which sees Python's and numpy's allocations (networks are built on torch's meta
    device only: no storage)."""
    def header(width, degree, layers, side=65535):
        body = bytearray(MAGIC + b"\x01\x01")
        for value in (side, side, 3, 8):
            body += _varint(value)
        body += b"\x01"
        for value in (2, 3, width, degree, layers, 0):
            body += _varint(value)
        return _with_crc(bytes(body))

    import tracemalloc

    tracemalloc.start()
    try:
        for hostile in (header(1024, 1024, 16), header(4, 4, 1, side=70000)):
            with pytest.raises(LimitError):
                read_bitstream(hostile)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 256 << 10  # Python and numpy allocations: the parser's own objects, no network or grid
    with pytest.raises(CodecError):
        read_bitstream(header(4, 4, 1))  # sane sizes, but the group table is missing


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)
