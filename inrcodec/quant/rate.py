"""The rate model: a zero-mean Laplace over integer bins, the same one the entropy coder uses.

``laplace_bits`` is differentiable in ``q`` (it accepts non-integer ``q`` for noise-based QAT) and
exact for integers: −log2 P(q) with P(q) = F(q + ½) − F(q − ½), written in a form that stays
accurate far in the tails.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .tables import MAX_SCALE_INDEX, scale_from_index, scale_index_near

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
    """The scale index (around the maximum-likelihood one) that codes ``integers`` shortest, and the
    resulting code length in bits."""
    q = torch.from_numpy(integers.astype(np.float64))
    centre = scale_index_near(float(np.mean(np.abs(integers))) or 1e-3)
    best = (centre, math.inf)
    for index in range(max(0, centre - 3), min(MAX_SCALE_INDEX, centre + 3) + 1):
        bits = float(laplace_bits(q, scale_from_index(index)))
        if bits < best[1]:
            best = (index, bits)
    return best
