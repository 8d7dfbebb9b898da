"""Writes the conformance bitstreams of the current format version and their expected decodes.

Run once when a format version is released (``python bitstreams/make_conformance.py``); the files
are then frozen: tests check that every released file keeps decoding to its expected picture.
"""

from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skimage_data

import inrcodec
from inrcodec.bitstream import FORMAT_VERSION
from inrcodec.signals.image import save_image

FOLDER = Path(__file__).resolve().parent / "conformance"


def cases() -> dict[str, np.ndarray]:
    astronaut = Image.fromarray(skimage_data.astronaut()).resize((24, 16), Image.Resampling.LANCZOS)
    camera = Image.fromarray(skimage_data.camera()).resize((16, 16), Image.Resampling.LANCZOS)
    return {
        "rgb8_24x16": np.asarray(astronaut),
        "grey16_16x16": np.asarray(camera).astype(np.uint16) * 257,
    }


def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    for name, pixels in cases().items():
        stem = FOLDER / f"v{FORMAT_VERSION}_{name}"
        data = inrcodec.encode_image(pixels, quality=2, iterations=150, device="cpu", seed=0)
        stem.with_suffix(".inr").write_bytes(data)
        save_image(inrcodec.decode_image(data), stem.with_suffix(".png"))
        save_image(inrcodec.decode_image(data, scale=2), f"{stem}_x2.png")
        print(f"{stem.name}.inr: {len(data)} bytes")


if __name__ == "__main__":
    main()
