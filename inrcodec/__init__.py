"""inrcodec: a lossy codec whose compressed form is a small neural network.

An image (or a 3-D shape, as an occupancy field, or a scene, as a radiance field) is compressed by fitting a network to it —
SL²A-INR, for images on entropy-coded latent grids — quantizing and entropy-coding what it learnt;
it is decoded by rebuilding the network and rendering it at any resolution (in NumPy: decoding
imports neither PyTorch nor the encoder).
"""

from .api import (GroupInfo, StreamInfo, decode_image, decode_scene, decode_volume, encode, encode_image,
                  encode_scene, encode_volume, read_info)
from .errors import BitstreamError, CodecError, DeviceError, InputError, LimitError
from .presets import DEFAULT_QUALITY, QUALITY_LEVELS
from . import pillow_plugin  # registers the .inr format with Pillow

__version__ = "0.5.0"


def __getattr__(name: str):
    """``EncodeResult`` is the encoder's: importing it loads PyTorch, so it loads on first use and
    ``import inrcodec`` stays as cheap as a decode needs."""
    if name == "EncodeResult":
        from .train.encoder import EncodeResult

        return EncodeResult
    raise AttributeError(f"module 'inrcodec' has no attribute {name!r}")

__all__ = ["pillow_plugin", "encode", "encode_image", "decode_image", "encode_volume", "decode_volume",
           "encode_scene", "decode_scene", "read_info", "EncodeResult", "StreamInfo",
           "GroupInfo", "CodecError", "BitstreamError", "InputError", "LimitError", "DeviceError",
           "DEFAULT_QUALITY", "QUALITY_LEVELS", "__version__"]
