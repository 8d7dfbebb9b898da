"""Bjøntegaard-delta rate between two rate-distortion curves, through the maintained
``bjontegaard`` package (FAU-LMS; the VCEG/JVET piecewise-cubic method).

What we add is only the bookkeeping that real curves need: points sorted by rate, points that do
not raise the quality dropped (the interpolation needs a monotone curve), and NaN when the curves'
quality ranges do not overlap instead of a warning and a meaningless number.
"""

from __future__ import annotations

import math
import warnings

import bjontegaard
import numpy as np


def monotone_curve(bpp, psnr) -> tuple[np.ndarray, np.ndarray]:
    """Points sorted by rate, keeping only those whose quality beats every cheaper point."""
    order = np.argsort(np.asarray(bpp, dtype=float))
    kept_rate, kept_quality = [], []
    for rate, quality in zip(np.asarray(bpp, float)[order], np.asarray(psnr, float)[order]):
        if not kept_quality or quality > kept_quality[-1]:
            kept_rate.append(rate)
            kept_quality.append(quality)
    return np.array(kept_rate), np.array(kept_quality)


def bd_rate(anchor_bpp, anchor_psnr, test_bpp, test_psnr) -> float:
    """Average rate difference (percent) of the test curve against the anchor at equal PSNR, over
    their overlapping PSNR range: negative means the test codec needs fewer bits. NaN if the curves
    share no PSNR range or either has fewer than two usable points."""
    anchor = monotone_curve(anchor_bpp, anchor_psnr)
    test = monotone_curve(test_bpp, test_psnr)
    if min(len(anchor[0]), len(test[0])) < 2:
        return math.nan
    if min(anchor[1].max(), test[1].max()) <= max(anchor[1].min(), test[1].min()):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small overlaps are reported by the caller, not warned
        return float(bjontegaard.bd_rate(anchor[0], anchor[1], test[0], test[1], method="pchip",
                                         require_matching_points=False, min_overlap=0))
