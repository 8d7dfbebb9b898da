"""Published Kodak rate-distortion curves from ../shared/anchors (read-only reference figures).

They are averages over all 24 full-size Kodak images; curves measured in the same run always take
precedence, and comparing them with crops or a subset is indicative only.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import numpy as np

from .common import REPO

ANCHORS = REPO.parent / "shared" / "anchors"
# label -> entry of c3/kodak.json (the C3 authors' collection of published curves)
C3_ENTRIES = {
    "COIN": "COIN",
    "COIN++": "COIN++",
    "Strümpler et al. (SPY)": "SPY",
    "BPG 4:4:4": "BPG444",
    "VTM": "VTM",
    "C3": "C3",
}


def published_curves() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """label -> (bpp, psnr) sorted by rate; empty if the anchors folder is absent."""
    curves = {}
    c3_file = ANCHORS / "c3" / "kodak.json"
    if c3_file.is_file():
        entries = json.loads(c3_file.read_text())
        for label, key in C3_ENTRIES.items():
            if key in entries:
                curves[label] = _sorted(entries[key]["bpp"], entries[key]["psnr"])
    coolchic = ANCHORS / "coolchic" / "v5.0_image-kodak.tsv"
    if coolchic.is_file():
        per_lambda = defaultdict(list)
        with open(coolchic) as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                per_lambda[row["lmbda"]].append((float(row["rate_bpp"]), float(row["psnr_db"])))
        points = [np.mean(values, axis=0) for values in per_lambda.values()]
        curves["Cool-chic 5.0"] = _sorted([p[0] for p in points], [p[1] for p in points])
    return curves


def _sorted(bpp, psnr):
    order = np.argsort(bpp)
    return np.asarray(bpp, float)[order], np.asarray(psnr, float)[order]
