"""Shared fixtures: small images from scikit-image; Kodak from ../shared/data through ``kodak_dir``,
which skips a test with the reason where the data is absent."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data as skimage_data

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FAST = dict(iterations=200, device="cpu")  # enough steps to exercise every stage, in seconds

# The suite's encodes coordinate their threads among themselves only (inrcodec.train.runtime): an encode
# or benchmark running beside `make test` changes neither's thread count nor bytes.
os.environ["INRCODEC_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="inrcodec-tests-")
atexit.register(shutil.rmtree, os.environ["INRCODEC_RUNTIME_DIR"], ignore_errors=True)


def kodak_dir() -> Path:
    folder = SHARED_DATA / "kodak"
    if not (folder / "kodim01.png").is_file():
        pytest.skip(f"Kodak images not found in {folder} (they come from ../shared/data)")
    return folder


def centre_crop(pixels: np.ndarray, side: int) -> np.ndarray:
    top, left = (pixels.shape[0] - side) // 2, (pixels.shape[1] - side) // 2
    return np.ascontiguousarray(pixels[top:top + side, left:left + side])


@pytest.fixture(scope="session")
def small_rgb() -> np.ndarray:
    """A 40×32 RGB picture (scikit-image's astronaut, downsampled)."""
    image = Image.fromarray(skimage_data.astronaut()).resize((40, 32), Image.Resampling.LANCZOS)
    return np.asarray(image)


@pytest.fixture(scope="session")
def small_png(tmp_path_factory, small_rgb) -> Path:
    path = tmp_path_factory.mktemp("images") / "small.png"
    Image.fromarray(small_rgb).save(path)
    return path


@pytest.fixture(scope="session")
def small_bitstream(small_rgb) -> bytes:
    """The small picture coded by the default model (latent grids)."""
    import inrcodec

    return inrcodec.encode_image(small_rgb, quality=2, **FAST)


@pytest.fixture(scope="session")
def small_sl2a_bitstream(small_rgb) -> bytes:
    """The small picture coded by the weight-only SL²A-INR."""
    import inrcodec

    return inrcodec.encode_image(small_rgb, quality=2, model="sl2a", **FAST)
