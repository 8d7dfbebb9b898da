"""The weight payload: every non-empty group's integers in one ANS stream (constriction's
``AnsCoder``: 32-bit words, 64-bit state, 24-bit probabilities).

Each group is coded under the integer table ``laplace_frequencies(scale_index, max_abs)``, handed
to constriction as the exact integers ``frequency − 1`` (as floats, which holds them exactly), which
its leaky quantiser turns back into exactly ``frequency`` — so the coder's tables are the format's,
bit for bit (tested by reading them back out of the coder). A group whose ``max_abs`` is 0 is all
zeros and costs nothing. Version-1 files were coded under constriction's own ``QuantizedLaplace``,
whose tables it builds from float64 CDFs; they still decode, with the pinned constriction version.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import constriction
import numpy as np

from ..errors import BitstreamError
from .laplace import laplace_frequencies, scale_from_index

MAX_ABS_LIMIT = 1 << 15  # larger integers mean a step far too small; the encoder never needs them
LEGACY_FLOAT_TABLES_VERSION = 1  # the last format version whose tables came from constriction's floats


@dataclass(frozen=True)
class CodedGroup:
    """What the coder needs of one weight group: its size, integer range and scale index."""

    size: int
    max_abs: int
    scale_index: int


def _table_model(group: CodedGroup):
    weights = laplace_frequencies(group.scale_index, group.max_abs) - 1
    return constriction.stream.model.Categorical(weights.astype(np.float64), perfect=False)


def _legacy_model(group: CodedGroup):
    scale = scale_from_index(group.scale_index)
    return constriction.stream.model.QuantizedLaplace(-group.max_abs, group.max_abs, 0.0, scale)


def push_groups(coder, integers: list[np.ndarray], groups: list[CodedGroup]) -> None:
    """Push every non-empty group onto the ANS ``coder`` so that ``pop_groups`` pops them in order."""
    for values, group in reversed(list(zip(integers, groups))):  # ANS is a stack: encode backwards
        if group.max_abs:
            coder.encode_reverse((values + group.max_abs).astype(np.int32), _table_model(group))


def pop_groups(coder, groups: list[CodedGroup], format_version: int) -> list[np.ndarray]:
    """The integers of every group (all zeros for empty ones), popped off the ANS ``coder``."""
    legacy = format_version <= LEGACY_FLOAT_TABLES_VERSION
    decoded = []
    for group in groups:
        if not group.max_abs:
            decoded.append(np.zeros(group.size, dtype=np.int32))
        elif legacy:
            decoded.append(coder.decode(_legacy_model(group), group.size).astype(np.int32))
        else:
            decoded.append(coder.decode(_table_model(group), group.size).astype(np.int32) - group.max_abs)
    return decoded


def payload_bytes(coder) -> bytes:
    """The coder's stream as the payload: little-endian 32-bit words."""
    return coder.get_compressed().astype("<u4").tobytes()


@contextlib.contextmanager
def reading_payload(payload: bytes):
    """An ANS coder over ``payload`` for the block to pop everything off; on exit the payload must be
    used up exactly. Malformed data raises ``BitstreamError``."""
    if len(payload) % 4:
        raise BitstreamError("corrupt payload: its length is not a whole number of 32-bit words")
    try:
        coder = constriction.stream.stack.AnsCoder(np.frombuffer(payload, dtype="<u4").astype(np.uint32))
        yield coder
    except (ValueError, RuntimeError) as error:
        raise BitstreamError(f"corrupt payload: {error}") from None
    if not coder.is_empty():
        raise BitstreamError("corrupt payload: data left over after the last symbol")


def encode_groups(integers: list[np.ndarray], groups: list[CodedGroup]) -> bytes:
    """One ANS stream of every non-empty group."""
    coder = constriction.stream.stack.AnsCoder()
    push_groups(coder, integers, groups)
    return payload_bytes(coder)


def decode_groups(payload: bytes, groups: list[CodedGroup], format_version: int) -> list[np.ndarray]:
    """Inverse of ``encode_groups`` (and of version-1 encoders); raises ``BitstreamError`` on data
    that does not decode to exactly the declared weights with nothing left over."""
    with reading_payload(payload) as coder:
        return pop_groups(coder, groups, format_version)
