"""The rate model: a zero-mean Laplace over integer bins, the distribution the coder's tables hold.

``laplace_bits`` is the continuous model quantization-aware training differentiates: −log2 P(q) with
P(q) = F(q + ½) − F(q − ½), written to stay accurate far in the tails, and defined for the
non-integer ``q`` of noise-based training. ``best_scale_index`` prices integers with the coder's own
integer tables (``entropy.code_length``), so the step search minimises the bits actually written.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..entropy import code_length
from ..entropy import MAX_SCALE_INDEX, scale_index_near

LN2 = math.log(2.0)


def laplace_bits(q: torch.Tensor, scale: float | torch.Tensor) -> torch.Tensor:
    """Total code length in bits of the values ``q`` (in steps) under Laplace(0, scale)."""
    scale = torch.as_tensor(scale, dtype=q.dtype, device=q.device)
    magnitude = q.abs()
    # |q| >= ½: both bin edges on one side, P = ½ e^{-(|q|-½)/b} (1 - e^{-1/b})
    log_tail = math.log(0.5) - (magnitude - 0.5) / scale + torch.log(-torch.expm1(-1.0 / scale))
    # |q| < ½: the bin straddles 0, P = 1 - ½ e^{-(½-|q|)/b} - ½ e^{-(½+|q|)/b}
    inner = 1 - 0.5 * torch.exp(-(0.5 - magnitude.clamp(max=0.5)) / scale) \
              - 0.5 * torch.exp(-(0.5 + magnitude.clamp(max=0.5)) / scale)
    log_centre = torch.log(inner.clamp_min(1e-30))
    log_p = torch.where(magnitude >= 0.5, log_tail, log_centre)
    return -(log_p.sum()) / LN2


def best_scale_index(integers: np.ndarray) -> tuple[int, float]:
    """The scale index (around the maximum-likelihood one) whose coder table codes ``integers``
    (not all zero) shortest, and that code length in bits."""
    max_abs = int(np.abs(integers).max())
    centre = scale_index_near(float(np.mean(np.abs(integers))))
    best = (centre, math.inf)
    for index in range(max(0, centre - 3), min(MAX_SCALE_INDEX, centre + 3) + 1):
        bits = code_length(integers, index, max_abs)
        if bits < best[1]:
            best = (index, bits)
    return best
