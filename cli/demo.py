"""``inrcodec demo``: the quick start's main job on a picture that ships with scikit-image."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from skimage import data as skimage_data

from inrcodec import api
from inrcodec.tools.compare import compare
from inrcodec.signals.image.io import save_image

DEMO_SIDE = 256


def demo_image() -> np.ndarray:
    """scikit-image's astronaut (512×512, public domain), downsampled to 256×256."""
    image = Image.fromarray(skimage_data.astronaut())
    return np.asarray(image.resize((DEMO_SIDE, DEMO_SIDE), Image.Resampling.LANCZOS))


def print_rows(rows, echo: Callable[[str], None]) -> None:
    echo(f"{'codec':10} {'bytes':>7} {'bpp':>7} {'PSNR dB':>8}")
    for name, n_bytes, bpp, quality in rows:
        echo(f"{name:10} {n_bytes:7d} {bpp:7.3f} {quality:8.2f}")


def run_demo(folder: Path, *, iterations: int, device: str, echo: Callable[[str], None]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    original = demo_image()
    save_image(original, folder / "original.png")
    echo(f"encoding a {DEMO_SIDE}x{DEMO_SIDE} picture ({iterations} steps)…")
    result = api.encode(original, iterations=iterations, device=device, progress=sys.stderr.isatty())
    (folder / "astronaut.inr").write_bytes(result.data)
    save_image(api.decode_image(result.data), folder / "inrcodec.png")
    save_image(api.decode_image(result.data, scale=4), folder / "inrcodec_x4.png")
    comparison = compare(original, result)
    for classic, suffix in comparison.classics:
        (folder / f"{classic.codec}.{suffix}").write_bytes(classic.data)
    comparison.picture.save(folder / "comparison.png")
    print_rows(comparison.rows, echo)
    echo(f"pictures in {folder}/: comparison.png, inrcodec.png, inrcodec_x4.png (x4 decode), …")
