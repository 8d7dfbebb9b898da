"""The rate model: a Laplace over integer bins, the distribution the coder's tables hold.

``laplace_bits`` is the continuous model training differentiates (the weights' quantization-aware
fine-tuning, the latent model's rate term): −log2 P(q) with P(q) = F(q + ½) − F(q − ½), written to
stay accurate far in the tails, and defined for the non-integer ``q`` of noise-based training.
``best_scale_index`` prices integers with the coder's own integer tables (``entropy.code_length``),
so the step search minimises the bits actually written.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..entropy import MAX_SCALE_INDEX, scale_index_near
from ..entropy import code_length


LN2 = math.log(2.0)


def laplace_bits(values: torch.Tensor, scale: float | torch.Tensor, mean: float | torch.Tensor = 0.0) -> torch.Tensor:
    """Total code length in bits of ``values`` (in steps) under Laplace(mean, scale); ``scale`` and
    ``mean`` broadcast to ``values`` and may carry gradients."""
    like = lambda x: torch.as_tensor(x, dtype=values.dtype, device=values.device).expand_as(values)  # noqa: E731
    return _LaplaceBits.apply(values, like(mean), like(scale))


class _LaplaceBits(torch.autograd.Function):
    """−Σ log2 P(bin) and its derivatives, computed in one pass: one autograd node instead of some
    thirty (the rate term is most of the elementwise work of a latent-model training step).

    With d = |value − mean| and b the scale:
    d ≥ ½, both bin edges on one side:  P = ½ e^{−(d−½)/b} (1 − e^{−1/b});
    d < ½, the bin straddles the mean:  P = 1 − ½ e^{−(½−d)/b} − ½ e^{−(½+d)/b}."""

    @staticmethod
    def forward(ctx, values, mean, scale):
        inverse = scale.reciprocal()
        offset = values - mean
        distance = offset.abs()
        tail = distance >= 0.5
        mass = -torch.expm1(-inverse)  # 1 − e^{−1/b}
        log_tail = (0.5 - distance) * inverse + torch.log(0.5 * mass)
        near = distance.clamp(max=0.5)
        below, above = torch.exp((near - 0.5) * inverse), torch.exp(-(0.5 + near) * inverse)
        centre = (1 - 0.5 * (below + above)).clamp_min(1e-30)
        log_p = torch.where(tail, log_tail, torch.log(centre))
        if any(ctx.needs_input_grad):  # ∂ ln P / ∂d and ∂ ln P / ∂b, then to bits
            squared = inverse * inverse
            by_distance = torch.where(tail, -inverse, 0.5 * (above - below) * inverse / centre)
            by_scale = torch.where(tail, squared * (distance + 0.5 - mass.reciprocal()),
                                   -0.5 * squared * (below * (0.5 - near) + above * (0.5 + near)) / centre)
            ctx.save_for_backward(by_distance * torch.sign(offset) / -LN2, by_scale / -LN2)
        return -log_p.sum() / LN2

    @staticmethod
    def backward(ctx, grad):
        by_value, by_scale = ctx.saved_tensors
        return grad * by_value, -grad * by_value, grad * by_scale


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
