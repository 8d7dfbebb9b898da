"""inrcodec beside JPEG, WebP, JPEG 2000 and AVIF files of about the same size, as a picture people
can look at."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..decoder import decode_image
from ..train.encoder import EncodeResult
from ..metrics import bits_per_pixel, psnr
from .pictures import side_by_side
from ..errors import InputError
from .reference_codecs import ClassicResult, closest_in_size, visible


CROP_SIDE = 384  # the picture shows the centre of each decode, at full resolution


@dataclass(frozen=True)
class Comparison:
    picture: Image.Image
    rows: list[tuple[str, int, float, float]]  # codec, bytes, bpp, PSNR dB
    classics: list[tuple[ClassicResult, str]]  # each classic file and its suffix


def compare(original: np.ndarray, result: EncodeResult) -> Comparison:
    """Decode ``result``, code ``original`` with each classic codec at about its size, and lay them
    (with the original) side by side, bpp and PSNR (of the whole picture) under each crop."""
    if original.dtype != np.uint8:
        raise InputError("compare works on 8-bit pictures (the classic codecs are run in 8-bit modes)")
    height, width = original.shape[:2]
    decoded = decode_image(result.data)
    rows = [("inrcodec", result.bytes, result.bpp, psnr(original, decoded))]
    panels = [(original, "original"),
              (decoded, f"inrcodec q{result.quality}\n{result.bpp:.3f} bpp, {rows[0][3]:.2f} dB")]
    classics = []
    for codec, suffix in (("jpeg", "jpg"), ("webp", "webp"), ("jpeg2000", "j2k"), ("avif", "avif")):
        classic = closest_in_size(original, codec, result.bytes)
        bpp = bits_per_pixel(len(classic.data), width, height)
        quality = psnr(visible(original), classic.decoded)
        rows.append((codec, len(classic.data), bpp, quality))
        setting = f"ratio {classic.setting:.0f}:1" if codec == "jpeg2000" else f"q{classic.setting:g}"
        panels.append((classic.decoded, f"{codec} {setting}\n{bpp:.3f} bpp, {quality:.2f} dB"))
        classics.append((classic, suffix))
    top, left = max(0, (height - CROP_SIDE) // 2), max(0, (width - CROP_SIDE) // 2)
    crops = [(pixels[top:top + CROP_SIDE, left:left + CROP_SIDE], caption) for pixels, caption in panels]
    return Comparison(side_by_side(crops), rows, classics)
