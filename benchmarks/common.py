"""What the benchmark scripts share: finding the data, loading crops, describing the run."""

from __future__ import annotations

import datetime
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
RESULTS = REPO / "benchmarks" / "results"


def kodak_image(name: str, crop: int | None = None) -> np.ndarray:
    """A Kodak image from ../shared/data/kodak, optionally its centre ``crop × crop``."""
    path = SHARED_DATA / "kodak" / f"{name}.png"
    if not path.is_file():
        sys.exit(f"{path} not found: the benchmarks read Kodak from ../shared/data beside the repo")
    pixels = np.asarray(Image.open(path).convert("RGB"))
    if crop:
        top, left = (pixels.shape[0] - crop) // 2, (pixels.shape[1] - crop) // 2
        pixels = np.ascontiguousarray(pixels[top:top + crop, left:left + crop])
    return pixels


def median_seconds(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def machine() -> str:
    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name()} (torch {torch.__version__})"
    cores = len(__import__("os").sched_getaffinity(0))
    return f"CPU {platform.processor() or platform.machine()}, {cores} cores, torch {torch.__version__}"


def run_description(command: list[str]) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip() or "uncommitted"
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "inrcodec", "cli", "benchmarks",
                            ":!benchmarks/results", ":!benchmarks/RESULTS.md"],
                           cwd=REPO, capture_output=True, text=True).stdout.strip()
    return (f"command `{' '.join(command)}`, commit {commit}{'+changes' if dirty else ''}, "
            f"{machine()}, {datetime.date.today().isoformat()}")
