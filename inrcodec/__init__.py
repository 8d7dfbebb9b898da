"""inrcodec: a lossy codec whose compressed form is a small neural network.

An image is compressed by fitting an SL²A-INR network to it, quantizing and entropy-coding the
weights; it is decoded by rebuilding the network and rendering it at any resolution.
"""

from .api import GroupInfo, StreamInfo, decode_image, encode, encode_image, read_info
from .encoder import EncodeResult
from .errors import BitstreamError, CodecError, DeviceError, InputError, LimitError
from .presets import DEFAULT_QUALITY, QUALITY_LEVELS
from . import pillow_plugin  # registers the .inr format with Pillow

__version__ = "0.2.0"

__all__ = ["pillow_plugin", "encode", "encode_image", "decode_image", "read_info", "EncodeResult", "StreamInfo",
           "GroupInfo", "CodecError", "BitstreamError", "InputError", "LimitError", "DeviceError",
           "DEFAULT_QUALITY", "QUALITY_LEVELS", "__version__"]
