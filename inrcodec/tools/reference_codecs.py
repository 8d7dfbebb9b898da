"""The classic codecs inrcodec is compared with, through Pillow, each configured at its best: JPEG
(4:2:0, optimized Huffman), WebP (method 6), JPEG 2000 (OpenJPEG, irreversible 9/7 with the colour
transform ``mct=1``, rate-driven) and AVIF (speed 6, 4:2:0).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image


CODECS = ("jpeg", "webp", "jpeg2000", "avif")


@dataclass(frozen=True)
class ClassicResult:
    codec: str
    setting: float  # quality for jpeg/webp/avif, compression ratio for jpeg2000
    data: bytes
    decoded: np.ndarray
    encode_seconds: float
    decode_seconds: float


def settings(codec: str) -> list[float]:
    """A sweep covering roughly 0.1–2 bpp on photographs."""
    if codec == "jpeg2000":
        return [200, 140, 100, 70, 48, 32, 24, 16, 12]  # compression ratios
    if codec == "jpeg":
        return [5, 10, 20, 30, 45, 60, 75, 85, 92]
    return [5, 15, 30, 45, 60, 70, 80, 88, 94]


def visible(pixels: np.ndarray) -> np.ndarray:
    """What the classic codecs code of an 8-bit picture: grey or RGB, alpha dropped."""
    return pixels[:, :, :1] if pixels.shape[2] <= 2 else pixels[:, :, :3]


def compress(pixels: np.ndarray, codec: str, setting: float) -> ClassicResult:
    """Code ``pixels`` (8-bit; alpha is dropped, see ``visible``) and decode them back."""
    shown = visible(pixels)
    image = Image.fromarray(shown if shown.shape[2] == 3 else shown[:, :, 0])
    buffer = io.BytesIO()
    start = time.perf_counter()
    if codec == "jpeg":
        image.save(buffer, "JPEG", quality=int(setting), optimize=True, subsampling="4:2:0")
    elif codec == "webp":
        image.save(buffer, "WEBP", quality=int(setting), method=6)
    elif codec == "jpeg2000":
        image.save(buffer, "JPEG2000", quality_mode="rates", quality_layers=[float(setting)],
                   irreversible=True, mct=1 if image.mode == "RGB" else 0, no_jp2=True)
    elif codec == "avif":
        image.save(buffer, "AVIF", quality=int(setting), speed=6, subsampling="4:2:0")
    else:
        raise ValueError(f"unknown codec {codec!r}")
    data = buffer.getvalue()
    encoded = time.perf_counter()
    with Image.open(io.BytesIO(data)) as decoded:
        decoded_pixels = np.asarray(decoded.convert(image.mode))
    return ClassicResult(codec, setting, data, decoded_pixels.reshape(pixels.shape[:2] + (-1,)),
                         encode_seconds=encoded - start, decode_seconds=time.perf_counter() - encoded)


def closest_in_size(pixels: np.ndarray, codec: str, target_bytes: int) -> ClassicResult:
    """The setting of ``codec`` whose file is closest in size to ``target_bytes`` (bisection on
    the quality for JPEG/WebP/AVIF, on the ratio for JPEG 2000)."""
    if codec == "jpeg2000":
        ratio = max(1.0, pixels.size / target_bytes)
        return compress(pixels, codec, ratio)
    low, high = 1, 100
    best = None
    while low <= high:
        middle = (low + high) // 2
        result = compress(pixels, codec, middle)
        if best is None or abs(len(result.data) - target_bytes) < abs(len(best.data) - target_bytes):
            best = result
        if len(result.data) < target_bytes:
            low = middle + 1
        else:
            high = middle - 1
    return best
