"""Entropy coding of quantized weights: integer probability tables fixed by the format
(``laplace``) and constriction's ANS coder driven by them (``coder``). Both sides of the codec use
this package; nothing in it depends on float arithmetic of any library."""

from .coder import (MAX_ABS_LIMIT, CodedGroup, decode_groups, encode_groups, payload_bytes, pop_groups, push_groups,
                    reading_payload)
from .laplace import (MAX_SCALE_INDEX, MEAN_OFFSETS, PRECISION, code_length, laplace_frequencies, scale_from_index,
                      scale_index_near, symbol_bits)

__all__ = ["MAX_ABS_LIMIT", "CodedGroup", "decode_groups", "encode_groups", "payload_bytes", "pop_groups",
           "push_groups", "reading_payload", "MAX_SCALE_INDEX", "MEAN_OFFSETS",
           "PRECISION", "code_length", "laplace_frequencies", "scale_from_index", "scale_index_near", "symbol_bits"]
