"""Signals the codec compresses. Each kind knows its coordinates, its fitting objective, the
geometry it writes to the bitstream header, and how to render itself from a model at any size.

Kinds have stable integer ids, written in every bitstream.
"""

from enum import IntEnum

import torch


class SignalKind(IntEnum):
    IMAGE = 1


def cell_centres(count: int, device=None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Centres of ``count`` equal cells covering [-1, 1]: sampling the same continuous square at any
    density, which is what makes decoding at any scale meaningful."""
    return (2 * torch.arange(count, device=device, dtype=dtype) + 1) / count - 1
