"""Signals the codec compresses, one folder per kind (keyed by the bitstream's kind byte): ``decode``
(its header geometry, the networks it accepts, its normative renderer: NumPy), ``io`` (reading
sources, writing decodes) and ``encode`` (presets, fitting objective, measures: PyTorch). The
bitstream and decoder dispatch through ``signal_type``, the encoder through ``signal_encoding``; a
new kind is a new folder and one line in each table, not a new pipeline.
"""

from __future__ import annotations

import importlib

from .base import SignalKind, SignalType
from .image.decode import IMAGE
from .scene.decode import SCENE
from .volume.decode import VOLUME

SIGNAL_TYPES: dict[SignalKind, SignalType] = {entry.kind: entry for entry in (IMAGE, VOLUME, SCENE)}


def signal_type(kind: SignalKind) -> SignalType:
    """The decoder's side of a kind."""
    return SIGNAL_TYPES[kind]


def source_kind(path) -> SignalKind:
    """Which kind of signal the source at ``path`` holds, by its form alone — a folder or ``.npz``: a
    scene; a mesh or ``.npy`` grid: a shape; anything else: a picture, for Pillow to read or refuse.
    The one place that decides it (``encode``, the command line, ``encode-dir``)."""
    from .scene.io import is_scene_path
    from .volume.io import is_shape_path

    if is_scene_path(path):
        return SignalKind.SCENE
    if is_shape_path(path):
        return SignalKind.VOLUME
    return SignalKind.IMAGE


def signal_encoding(kind: SignalKind):
    """The encoder's side of a kind (``encoding.SignalEncoding``; importing it loads PyTorch)."""
    module = importlib.import_module(f"{__name__}.{signal_type(kind).name}.encode")
    return getattr(module, f"{signal_type(kind).name.upper()}_ENCODING")


__all__ = ["SIGNAL_TYPES", "SignalKind", "SignalType", "signal_encoding", "signal_type", "source_kind"]
