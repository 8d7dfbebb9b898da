"""The .inr container: writing it, and reading it back with every field validated before use.

Layout (little-endian; ``varint`` = unsigned LEB128; normative spec: ``bitstreams/FORMAT.md``)::

    magic "\\x89INR" | version u8 | signal kind u8 | geometry fields (varint each)
    | model id u8 | model config fields (varint for ints, float32 for floats)
    | per weight group: max_abs varint, then if max_abs > 0: step index i8, scale index u8
    | per latent grid (latent models only): its range varint
    | side data length varint | side data (kinds that carry it: a scene's occupancy grid)
    | payload length varint | payload (ANS words) | CRC-32 of everything before it (u32)

The number and order of weight groups follow from the model config, so they are not stored.
Nothing here unpickles or evaluates input: the reader only parses integers.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, fields

from .entropy import MAX_ABS_LIMIT
from .models.latent.coding import MAX_LATENT_RANGE
from .errors import BitstreamError
from .models import ModelConfig, ModelId, entry_for_id
from .quant.groups import group_sizes
from .signals import SignalKind, signal_type

MAGIC = b"\x89INR"
FORMAT_VERSION = 2  # what the encoder writes: weights coded under the format's integer tables
READABLE_VERSIONS = (1, 2)  # version 1: the same layout, coded under constriction's float tables
MAX_VARINT_BYTES = 5  # every stored integer fits in 32 bits
MAX_PARAMETERS = 1 << 22  # a decoder refuses models larger than this before allocating them
MAX_SIDE_DATA_BYTES = 1 << 22


@dataclass(frozen=True)
class GroupHeader:
    """Quantization of one weight group: integer range, step index and Laplace scale index."""

    max_abs: int
    step_index: int = 0
    scale_index: int = 0


@dataclass(frozen=True)
class Bitstream:
    kind: SignalKind
    geometry: object  # the kind's geometry_class (signals.SignalType)
    model_id: ModelId
    config: ModelConfig
    groups: tuple[GroupHeader, ...]
    payload: bytes
    version: int = FORMAT_VERSION
    latent_ranges: tuple[int, ...] = ()  # per latent grid, finest first: |latent| ≤ range
    side_data: bytes = b""  # what the kind renders with besides the network (SignalType.side_data)


class _Writer:
    def __init__(self):
        self.data = bytearray()

    def u8(self, value: int) -> None:
        if not 0 <= value <= 255:
            raise ValueError(f"{value} does not fit in a byte")
        self.data.append(value)

    def i8(self, value: int) -> None:
        self.data += struct.pack("<b", value)

    def varint(self, value: int) -> None:
        if not 0 <= value < 1 << 32:
            raise ValueError(f"{value} does not fit in a 32-bit varint")
        while True:
            byte, value = value & 0x7F, value >> 7
            self.data.append(byte | (0x80 if value else 0))
            if not value:
                return

    def fields(self, record) -> None:
        for field in fields(record):
            if _is_float(field):
                self.data += struct.pack("<f", getattr(record, field.name))
            else:
                self.varint(getattr(record, field.name))


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.position = data, 0

    def take(self, count: int, what: str) -> bytes:
        if self.position + count > len(self.data):
            raise BitstreamError(f"truncated bitstream: it ends inside the {what}")
        chunk = self.data[self.position:self.position + count]
        self.position += count
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def i8(self, what: str) -> int:
        return struct.unpack("<b", self.take(1, what))[0]

    def varint(self, what: str) -> int:
        value = 0
        for shift in range(0, 7 * MAX_VARINT_BYTES, 7):
            byte = self.u8(what)
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
        raise BitstreamError(f"corrupt bitstream: the {what} is longer than {MAX_VARINT_BYTES} bytes")

    def fields(self, record_class):
        values = []
        for field in fields(record_class):
            what = f"{record_class.__name__}.{field.name}"
            if _is_float(field):
                values.append(struct.unpack("<f", self.take(4, what))[0])
            else:
                values.append(self.varint(what))
        return record_class(*values)


def _is_float(field) -> bool:
    """Config fields are ints (varint) or floats (float32), by their annotation."""
    return field.type in ("float", float)


def write_bitstream(stream: Bitstream) -> bytes:
    out = _Writer()
    out.data += MAGIC
    out.u8(stream.version)
    out.u8(stream.kind)
    out.fields(stream.geometry)
    out.u8(stream.model_id)
    out.fields(stream.config)
    for group in stream.groups:
        out.varint(group.max_abs)
        if group.max_abs:
            out.i8(group.step_index)
            out.u8(group.scale_index)
    for latent_range in stream.latent_ranges:
        out.varint(latent_range)
    if signal_type(stream.kind).carries_side_data:
        out.varint(len(stream.side_data))
        out.data += stream.side_data
    elif stream.side_data:
        raise ValueError(f"{signal_type(stream.kind).name} bitstreams carry no side data")
    out.varint(len(stream.payload))
    out.data += stream.payload
    out.data += struct.pack("<I", zlib.crc32(out.data))
    return bytes(out.data)


def read_bitstream(data: bytes, max_parameters: int = MAX_PARAMETERS) -> Bitstream:
    """Parse and validate ``data``; raises ``BitstreamError`` (or ``LimitError``) on anything wrong."""
    if len(data) < len(MAGIC) or data[:len(MAGIC)] != MAGIC:
        raise BitstreamError("not an inrcodec bitstream (wrong magic bytes)")
    if len(data) < len(MAGIC) + 2 + 4:
        raise BitstreamError("truncated bitstream: shorter than the smallest header")
    version = data[len(MAGIC)]
    if version not in READABLE_VERSIONS:
        raise BitstreamError(f"bitstream format version {version} is not supported (this decoder reads "
                             f"versions {', '.join(map(str, READABLE_VERSIONS))})")
    body, (stored_crc,) = data[:-4], struct.unpack("<I", data[-4:])
    if zlib.crc32(body) != stored_crc:
        raise BitstreamError("corrupt or truncated bitstream: checksum mismatch")

    reader = _Reader(body)
    reader.take(len(MAGIC) + 1, "magic")
    kind = _enum(SignalKind, reader.u8("signal kind"), "signal kind")
    geometry = reader.fields(signal_type(kind).geometry_class)
    geometry.validate()
    model_id = _enum(ModelId, reader.u8("model id"), "model id")
    config = reader.fields(entry_for_id(model_id).config_class)
    config.validate(max_parameters)
    signal_type(kind).check_model(geometry, config)
    sizes = group_sizes(config)
    groups = []
    for index in range(len(sizes)):
        max_abs = reader.varint(f"range of weight group {index}")
        if max_abs == 0:
            groups.append(GroupHeader(0))
            continue
        if max_abs > MAX_ABS_LIMIT:
            raise BitstreamError(f"corrupt bitstream: weight group {index} declares range ±{max_abs}")
        groups.append(GroupHeader(max_abs, reader.i8("step index"), reader.u8("scale index")))
    latent_ranges = []
    for level in range(len(config.latent_shapes())):
        latent_range = reader.varint(f"range of latent grid {level}")
        if latent_range > MAX_LATENT_RANGE:
            raise BitstreamError(f"corrupt bitstream: latent grid {level} declares range ±{latent_range} "
                                 f"(at most ±{MAX_LATENT_RANGE})")
        latent_ranges.append(latent_range)
    side_data = b""
    if signal_type(kind).carries_side_data:
        length = reader.varint("side data length")
        if length > MAX_SIDE_DATA_BYTES:
            raise BitstreamError(f"corrupt bitstream: {length} bytes of side data (at most {MAX_SIDE_DATA_BYTES})")
        side_data = reader.take(length, "side data")
        signal_type(kind).side_data(geometry, side_data)  # refused here if it does not parse
    payload_length = reader.varint("payload length")
    payload = reader.take(payload_length, "payload")
    if reader.position != len(body):
        raise BitstreamError(f"corrupt bitstream: {len(body) - reader.position} bytes of trailing data")
    return Bitstream(kind, geometry, model_id, config, tuple(groups), payload, version, tuple(latent_ranges),
                     side_data)


def _enum(enum_class, value: int, what: str):
    try:
        return enum_class(value)
    except ValueError:
        raise BitstreamError(f"unknown {what} {value} (this decoder knows "
                             f"{', '.join(str(int(m)) for m in enum_class)})") from None


__all__ = ["Bitstream", "GroupHeader", "MAGIC", "FORMAT_VERSION", "READABLE_VERSIONS", "MAX_PARAMETERS",
           "read_bitstream", "write_bitstream"]
