"""Signals the codec compresses, one registry entry per kind (keyed by the bitstream's kind byte):
its header geometry, the networks that can code it, its fitting objective, its normative renderer
and its metrics (``SignalType``). The encoder, decoder, bitstream and presets dispatch through
``signal_type``; a new kind is a new entry, not a new pipeline.
"""

from .base import GridObjective, SignalKind, SignalType, cell_centres, sample_grid
from .image import IMAGE
from .scene import SCENE
from .volume import VOLUME

SIGNAL_TYPES: dict[SignalKind, SignalType] = {entry.kind: entry for entry in (IMAGE, VOLUME, SCENE)}


def signal_type(kind: SignalKind) -> SignalType:
    return SIGNAL_TYPES[kind]


__all__ = ["GridObjective", "SIGNAL_TYPES", "SignalKind", "SignalType", "cell_centres", "sample_grid", "signal_type"]
