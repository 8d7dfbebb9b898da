"""Hitting a target rate (``--bpp``).

The latent-grid model's rate falls smoothly as its rate weight λ rises (about as λ^−0.4 on
photographs), so λ is searched directly: each encode's rate gives the next λ by a secant step on
log λ against log bpp, until a file lands within ±5 % of the target (usually the second or third
encode; ``MAX_ENCODES``, and up to ``MAX_ENCODES_CONVERGING`` while every try lands closer than the
one before). The result says where it landed (``target_miss``), so a miss is never silent. The
weight-only models change rate by network size, which comes in
levels: for them the highest level whose file is within the target is bisected for.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

from ..errors import LimitError
from ..presets import QUALITY_LEVELS
from ..signals.image.presets import LATENT_PRESETS
from .encoder import EncodeResult


TOLERANCE = 0.05
MAX_ENCODES = 5
MAX_ENCODES_CONVERGING = 8
INITIAL_EXPONENT = -0.4  # d log bpp / d log λ before two encodes measure it
RATE_WEIGHT_RANGE = (1e-6, 1.0)


def encode_latent_at_rate(encode_with: Callable[[float], EncodeResult], target_bpp: float) -> EncodeResult:
    """``encode_with(λ)`` for the λ whose file is within ±5 % of ``target_bpp``, or the closest of
    the tries (``MAX_ENCODES``, more while they converge); the result carries the target."""
    rate_weight = LATENT_PRESETS[len(LATENT_PRESETS) // 2].rate_weight
    tried: list[tuple[float, EncodeResult]] = []
    miss = lambda result: abs(math.log(result.bpp / target_bpp))  # noqa: E731
    converging = lambda: len(tried) < MAX_ENCODES_CONVERGING and miss(tried[-1][1]) < miss(tried[-2][1])  # noqa: E731
    while len(tried) < MAX_ENCODES or converging():
        result = encode_with(rate_weight)
        tried.append((rate_weight, result))
        if abs(result.bpp / target_bpp - 1) <= TOLERANCE:
            break
        exponent = INITIAL_EXPONENT
        if len(tried) >= 2:
            (weight_a, a), (weight_b, b) = tried[-2], tried[-1]
            if weight_a != weight_b and a.bpp != b.bpp:
                exponent = math.log(b.bpp / a.bpp) / math.log(weight_b / weight_a)
            exponent = min(-0.1, max(-1.5, exponent))
        step = math.log(target_bpp / result.bpp) / exponent
        rate_weight = min(RATE_WEIGHT_RANGE[1], max(RATE_WEIGHT_RANGE[0], rate_weight * math.exp(step)))
    best = min((result for _, result in tried), key=miss)
    return replace(best, target_bpp=target_bpp, encodes=len(tried))


def encode_level_within_rate(encode_at: Callable[[int], EncodeResult], target: float,
                             size_of: Callable[[EncodeResult], float] = lambda result: result.bpp) -> EncodeResult:
    """The highest quality level whose file's ``size_of`` (bpp unless told) is at most ``target``
    (level 1 if none is), by bisection (sizes rise with the level); levels whose files would be too
    costly to decode (``LimitError``) count as too large."""
    results: dict[int, EncodeResult] = {}

    def at(index: int) -> EncodeResult:
        if index not in results:
            results[index] = encode_at(QUALITY_LEVELS[index])
        return results[index]

    def fits(index: int) -> bool:
        try:
            return size_of(at(index)) <= target
        except LimitError:
            if index == 0:
                raise
            return False

    low, high, best = 0, len(QUALITY_LEVELS) - 1, 0
    while low <= high:
        middle = (low + high) // 2
        if fits(middle):
            best, low = middle, middle + 1
        else:
            high = middle - 1
    result = at(best)
    return replace(result, target_bpp=target, encodes=len(results)) if result.kind == "image" else result
