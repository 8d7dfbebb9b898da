"""Entropy coding of quantized weights with constriction's ANS coder.

Each group is coded under a quantized Laplace(0, scale) restricted to ``[-max_abs, max_abs]``;
the scale and ``max_abs`` travel in the header. All groups share one ANS stream. A group whose
``max_abs`` is 0 is all zeros and costs nothing in the payload.
"""

from __future__ import annotations

from dataclasses import dataclass

import constriction
import numpy as np

from .errors import BitstreamError

MAX_ABS_LIMIT = 1 << 15  # larger integers mean a step far too small; the encoder never needs them


@dataclass(frozen=True)
class CodedGroup:
    """What the decoder needs to read one group back: its size, range and Laplace scale."""

    size: int
    max_abs: int
    scale: float


def _model(group: CodedGroup):
    return constriction.stream.model.QuantizedLaplace(-group.max_abs, group.max_abs, 0.0, group.scale)


def encode_groups(integers: list[np.ndarray], groups: list[CodedGroup]) -> bytes:
    """One ANS stream of every non-empty group, as little-endian 32-bit words."""
    coder = constriction.stream.stack.AnsCoder()
    for values, group in reversed(list(zip(integers, groups))):  # ANS is a stack: encode backwards
        if group.max_abs:
            coder.encode_reverse(values.astype(np.int32), _model(group))
    return coder.get_compressed().astype("<u4").tobytes()


def decode_groups(payload: bytes, groups: list[CodedGroup]) -> list[np.ndarray]:
    """Inverse of ``encode_groups``; raises ``BitstreamError`` on data that does not decode exactly."""
    if len(payload) % 4:
        raise BitstreamError("corrupt payload: its length is not a whole number of 32-bit words")
    words = np.frombuffer(payload, dtype="<u4").astype(np.uint32)
    try:
        coder = constriction.stream.stack.AnsCoder(words)
        decoded = [coder.decode(_model(g), g.size).astype(np.int32) if g.max_abs
                   else np.zeros(g.size, dtype=np.int32) for g in groups]
    except (ValueError, RuntimeError) as error:
        raise BitstreamError(f"corrupt payload: {error}") from None
    if not coder.is_empty():
        raise BitstreamError("corrupt payload: data left over after the last weight")
    return decoded
