"""Reading pictures (and masks) to encode and writing decoded ones, with Pillow."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ...errors import InputError, LimitError
from ..base import SignalKind
from .decode import ImageGeometry

MAX_INPUT_PIXELS = 1 << 26  # 67 MP: beyond this a fit would not finish on any machine we target
PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".gif"}


def is_picture_path(path: str | os.PathLike) -> bool:
    """A file a folder's batch encode picks up (a single encode hands any other file to Pillow)."""
    return Path(path).suffix.lower() in PICTURE_SUFFIXES


@dataclass(frozen=True)
class ImageSignal:
    """Pixels as a ``(height, width, channels)`` uint8 or uint16 array."""

    pixels: np.ndarray
    kind = SignalKind.IMAGE

    @property
    def geometry(self) -> ImageGeometry:
        height, width, channels = self.pixels.shape
        return ImageGeometry(width, height, channels, 16 if self.pixels.dtype == np.uint16 else 8)


def load_image(source: str | os.PathLike | np.ndarray | bytes) -> ImageSignal:
    """Read an image file (or the bytes of one, or take an array) and check that the codec can
    represent it."""
    if isinstance(source, np.ndarray):
        return _signal_from_array(source)
    if isinstance(source, bytes):
        path, opened = Path("<input>"), io.BytesIO(source)
    else:
        path = opened = Path(source)
        if not path.is_file():
            raise InputError(f"{path}: no such file")
    try:
        with Image.open(opened) as image:
            _check_supported(image, path)
            pixels = _pixels_from_pil(ImageOps.exif_transpose(image))
    except UnidentifiedImageError:
        raise InputError(f"{path}: not an image file that Pillow can read") from None
    except Image.DecompressionBombError:
        raise LimitError(f"{path}: image is too large to encode") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read image ({error})") from None
    return _signal_from_array(pixels)


def _check_supported(image: Image.Image, path: Path) -> None:
    """Refuse, before decoding any pixel, what the codec cannot represent faithfully."""
    if image.width * image.height > MAX_INPUT_PIXELS:
        raise LimitError(f"{path}: {image.width}x{image.height} is more than {MAX_INPUT_PIXELS} pixels")
    rawmode = image.tile[0].args if image.tile else ""
    if image.mode in ("RGB", "RGBA") and isinstance(rawmode, str) and ";16" in rawmode:
        raise InputError(f"{path}: 16-bit colour images are not supported (16-bit grey is); "
                         "convert it to 8 bits per channel")
    if image.mode == "F":
        raise InputError(f"{path}: floating-point images are not supported")


def _pixels_from_pil(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey = np.asarray(image)
        if grey.min() < 0 or grey.max() > 65535:
            raise InputError("integer image values outside 0..65535")
        return grey.astype(np.uint16)
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode == "PA":
        image = image.convert("RGBA")
    elif image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV: coded as RGB
    return np.asarray(image)


def _signal_from_array(array: np.ndarray) -> ImageSignal:
    if array.dtype not in (np.uint8, np.uint16):
        raise InputError(f"image arrays must be uint8 or uint16, not {array.dtype}")
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or not 1 <= array.shape[2] <= 4:
        raise InputError(f"image array of shape {array.shape}: expected (H, W) or (H, W, 1..4)")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError("the image has no pixels")
    if array.dtype == np.uint16 and array.shape[2] != 1:
        raise InputError("16-bit images must be grey (one channel)")
    signal = ImageSignal(np.ascontiguousarray(array))
    signal.geometry.validate()
    return signal


def load_mask(source: str | os.PathLike | np.ndarray, height: int, width: int) -> np.ndarray:
    """A ``(height, width)`` bool array of the pixels to fit (mask value > 127 in a picture, or
    nonzero in an array): the rest are unknown, left for the network to fill in (inpainting)."""
    if isinstance(source, np.ndarray):
        known = np.asarray(source) > (127 if source.dtype == np.uint8 else 0)
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{path}: no such mask file")
        try:
            with Image.open(path) as image:
                known = np.asarray(image.convert("L")) > 127
        except (UnidentifiedImageError, OSError):
            raise InputError(f"{path}: not a mask picture Pillow can read") from None
    if known.ndim == 3:
        known = known.any(axis=2)
    if known.shape != (height, width):
        raise InputError(f"the mask is {known.shape[1]}x{known.shape[0]}, the image {width}x{height}")
    if not known.any():
        raise InputError("the mask marks no pixel as known")
    return known


PNG_COMPRESSION = 3  # zlib level of written PNGs: a 768×512 decode in 0.05 s and 1 % more bytes than
# Pillow's default 6 (0.14 s), which a decode from the shell would otherwise spend a fifth of its time on


def save_image(pixels: np.ndarray, path: str | os.PathLike, format: str = "PNG") -> None:
    """Write pixels to ``path`` in ``format`` (PNG unless told otherwise)."""
    if pixels.dtype == np.uint16:
        image = Image.fromarray(pixels[:, :, 0])  # 16-bit grey; colour is refused at encode time
    else:
        image = Image.fromarray(pixels if pixels.shape[2] > 1 else pixels[:, :, 0])
    image.save(path, format=format, **({"compress_level": PNG_COMPRESSION} if format == "PNG" else {}))


