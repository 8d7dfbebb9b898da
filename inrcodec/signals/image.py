"""Images: loading and validating pixels, the fitting objective, and rendering at any size in tiles."""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import BitstreamError, InputError, LimitError
from ..metrics import psnr, ssim
from ..models import CoordinateNetwork, ModelConfig
from ..presets import DEFAULT_MODEL, DEFAULT_STEPS, batch_samples, model_config, rate_weight
from ..render import RenderPlan, plan_render, render_tiles
from .base import GridObjective, SignalKind, SignalType, cell_centres

MAX_SIDE = 65535
MAX_INPUT_PIXELS = 1 << 26  # 67 MP: beyond this a fit would not finish on any machine we target


@dataclass(frozen=True)
class ImageGeometry:
    """What an image bitstream records about the picture itself."""

    width: int
    height: int
    channels: int  # 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA
    bit_depth: int  # 8 or 16

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def max_value(self) -> int:
        return (1 << self.bit_depth) - 1

    def validate(self) -> None:
        if not (1 <= self.width <= MAX_SIDE and 1 <= self.height <= MAX_SIDE):
            raise LimitError(f"image size {self.width}x{self.height} is outside 1..{MAX_SIDE} per side")
        if self.channels not in (1, 2, 3, 4):
            raise LimitError(f"{self.channels} channels: an image has 1 to 4")
        if self.bit_depth not in (8, 16):
            raise LimitError(f"bit depth {self.bit_depth}: only 8 and 16 are defined")


@dataclass(frozen=True)
class ImageSignal:
    """Pixels as a ``(height, width, channels)`` uint8 or uint16 array."""

    pixels: np.ndarray
    kind = SignalKind.IMAGE

    @property
    def geometry(self) -> ImageGeometry:
        height, width, channels = self.pixels.shape
        return ImageGeometry(width, height, channels, 16 if self.pixels.dtype == np.uint16 else 8)

    def target(self, device: torch.device) -> torch.Tensor:
        """Pixels mapped to [-0.5, 0.5], the range the networks are fitted to."""
        scale = 1.0 / self.geometry.max_value
        return torch.from_numpy(self.pixels.astype(np.float32) * scale - 0.5).to(device)


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


def output_size(geometry: ImageGeometry, scale: float | None,
                size: tuple[int, int] | None) -> tuple[int, int]:
    """``(width, height)`` to render: the encoded size, ``scale`` times it, or ``size``."""
    if scale is not None and size is not None:
        raise InputError("give either a scale or a size, not both")
    if size is not None:
        if len(size) != 2:
            raise InputError(f"an image's size is WIDTHxHEIGHT, not {'x'.join(map(str, size))}")
        width, height = size
        if width < 1 or height < 1:
            raise InputError(f"output size {width}x{height} must be positive")
    elif scale is not None:
        if not (math.isfinite(scale) and scale > 0):
            raise InputError(f"scale must be a positive number, not {scale}")
        width = max(1, round(geometry.width * scale))
        height = max(1, round(geometry.height * scale))
    else:
        width, height = geometry.width, geometry.height
    return width, height


def image_render_plan(config: ModelConfig, geometry: ImageGeometry, width: int, height: int) -> RenderPlan:
    """How a ``width × height`` rendering of ``config``'s network is tiled, and what it costs."""
    sample_bytes = 2 if geometry.bit_depth == 16 else 1
    return plan_render(config, (height, width), width * height * geometry.channels * sample_bytes)


@torch.no_grad()
def render_image(model: CoordinateNetwork, geometry: ImageGeometry, plan: RenderPlan,
                 dtype: torch.dtype = torch.float32) -> np.ndarray:
    """Evaluate ``model`` on the ``height × width`` pixel grid of ``plan``, one tile at a time.

    Returns ``(height, width, channels)`` uint8 or uint16. Only one tile's activations are alive at a
    time, so memory is the plan's: a tile plus the output array. ``dtype`` float32 is the normative
    rendering; float64 (with a float64 model) is a reference that bounds float32's rounding.
    """
    device = next(model.parameters()).device
    height, width = plan.shape
    out = np.empty((height, width, geometry.channels), dtype=np.uint16 if geometry.bit_depth == 16 else np.uint8)
    axes = (cell_centres(height, device, dtype), cell_centres(width, device, dtype))
    for (rows, columns), tile in render_tiles(model, axes, plan):
        # a hostile (but valid) file can make activations overflow: NaN renders as 0
        values = torch.round(torch.nan_to_num(tile + 0.5, nan=0.0).clamp(0, 1) * geometry.max_value)
        out[rows, columns] = values.cpu().numpy().astype(out.dtype)
    return out


def save_image(pixels: np.ndarray, path: str | os.PathLike, format: str | None = None) -> None:
    """Write pixels to ``path`` (a PNG unless the suffix says otherwise)."""
    if pixels.dtype == np.uint16:
        image = Image.fromarray(pixels[:, :, 0])  # 16-bit grey; colour is refused at encode time
    else:
        image = Image.fromarray(pixels if pixels.shape[2] > 1 else pixels[:, :, 0])
    image.save(path, format=format or "PNG")


class ImageType(SignalType):
    """Pictures: 2-D networks, pixels as uint8/uint16, PSNR/SSIM over the picture's value range."""

    kind = SignalKind.IMAGE
    name = "image"
    geometry_class = ImageGeometry

    default_model = DEFAULT_MODEL

    def default_steps(self, level: int) -> int:
        return DEFAULT_STEPS

    def model_config(self, model: str, level: int, geometry: ImageGeometry) -> ModelConfig:
        return model_config(model, level, self.sides(geometry), geometry.channels)

    def rate_weight(self, model: str, level: int) -> float:
        return rate_weight(model, level)

    def sides(self, geometry: ImageGeometry) -> tuple[int, int]:
        return (geometry.height, geometry.width)

    def channels(self, geometry: ImageGeometry) -> int:
        return geometry.channels

    def check_model(self, geometry: ImageGeometry, config: ModelConfig) -> None:
        if config.in_features != 2 or config.out_features != geometry.channels:
            raise BitstreamError(f"corrupt bitstream: a {config.in_features}-D model with "
                                 f"{config.out_features} outputs cannot render a "
                                 f"{geometry.channels}-channel image")
        shape = config.signal_shape()
        if shape is not None and shape != (geometry.height, geometry.width):
            raise BitstreamError(f"corrupt bitstream: latent grids of {shape[1]}x{shape[0]} do not match "
                                 f"the {geometry.width}x{geometry.height} image")

    def output_shape(self, geometry: ImageGeometry, scale, size) -> tuple[int, int]:
        width, height = output_size(geometry, scale, size)
        return (height, width)

    def render_plan(self, config: ModelConfig, geometry: ImageGeometry, shape: tuple[int, int]) -> RenderPlan:
        height, width = shape
        return image_render_plan(config, geometry, width, height)

    def render(self, network: CoordinateNetwork, geometry: ImageGeometry, plan: RenderPlan, limits=None,
               side_data=None) -> np.ndarray:
        return render_image(network, geometry, plan)

    def objective(self, signal: ImageSignal, generator: torch.Generator,
                  known: np.ndarray | None = None) -> GridObjective:
        return GridObjective(signal.target(generator.device), batch_samples(signal.geometry.pixels), generator, known)

    def measure(self, signal: ImageSignal, decoded: np.ndarray, known: np.ndarray | None) -> dict:
        if known is None:
            return {"psnr": psnr(signal.pixels, decoded), "ssim": ssim(signal.pixels, decoded)}
        # unknown pixels have no truth
        return {"psnr": psnr(signal.pixels[known], decoded[known]), "ssim": None}


IMAGE = ImageType()
