"""Writes the conformance bitstreams of the current format version and their expected decodes.

Run when a format version or a model is added (``python bitstreams/make_conformance.py``). Files
that exist are never rewritten: once released they are frozen, and the tests check that each
keeps decoding to its expected picture.
"""

from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as skimage_data

import inrcodec
from inrcodec.bitstream import FORMAT_VERSION
from inrcodec.signals.image import save_image

FOLDER = Path(__file__).resolve().parent / "conformance"


def cases() -> dict[str, tuple[np.ndarray, str]]:
    """name -> (pixels, model)."""
    astronaut = Image.fromarray(skimage_data.astronaut()).resize((24, 16), Image.Resampling.LANCZOS)
    camera = Image.fromarray(skimage_data.camera()).resize((16, 16), Image.Resampling.LANCZOS)
    return {
        "rgb8_24x16": (np.asarray(astronaut), "sl2a"),
        "grey16_16x16": (np.asarray(camera).astype(np.uint16) * 257, "sl2a"),
        "rgb8_24x16_siren": (np.asarray(astronaut), "siren"),  # a model with float config fields
    }


def main() -> None:
    FOLDER.mkdir(exist_ok=True)
    for name, (pixels, model) in cases().items():
        stem = FOLDER / f"v{FORMAT_VERSION}_{name}"
        if stem.with_suffix(".inr").exists():
            continue
        data = inrcodec.encode_image(pixels, model=model, quality=2, iterations=150, device="cpu", seed=0)
        stem.with_suffix(".inr").write_bytes(data)
        save_image(inrcodec.decode_image(data), stem.with_suffix(".png"))
        save_image(inrcodec.decode_image(data, scale=2), f"{stem}_x2.png")
        print(f"{stem.name}.inr: {len(data)} bytes")


if __name__ == "__main__":
    main()
