"""A Pillow plugin, registered by ``import inrcodec``: ``Image.open("x.inr")`` decodes and
``image.save("x.inr", quality=3)`` encodes (other ``encode`` options pass through the same way:
``model=``, ``iterations=``, ``device=``, ``seed=``)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFile

from .bitstream import MAGIC, read_bitstream
from .errors import CodecError, InputError
from .signals.base import SignalKind

MODES = {(1, 8): "L", (1, 16): "I;16", (2, 8): "LA", (3, 8): "RGB", (4, 8): "RGBA"}
ENCODE_OPTIONS = ("quality", "bpp", "model", "iterations", "device", "seed")


def _accept(prefix: bytes) -> bool:
    return prefix[:len(MAGIC)] == MAGIC


class InrImageFile(ImageFile.ImageFile):
    format = "INR"
    format_description = "inrcodec neural-network bitstream"

    def _open(self) -> None:
        self._bitstream = self.fp.read()
        try:
            stream = read_bitstream(self._bitstream)
        except CodecError as error:
            raise SyntaxError(str(error)) from None  # Pillow's way of saying "not this format"
        if stream.kind is not SignalKind.IMAGE:  # ours, but no picture: say so rather than "unidentified"
            what = {SignalKind.VOLUME: "a shape", SignalKind.SCENE: "a scene"}.get(stream.kind, "no picture")
            raise InputError(f"this inrcodec file holds {what}, not a picture: decode it with `inrcodec decode`")
        geometry = stream.geometry
        self._size = (geometry.width, geometry.height)
        self._mode = MODES[(geometry.channels, geometry.bit_depth)]
        self.tile = []

    def load(self):
        if self._im is None:
            from .decoder import decode_image

            pixels = decode_image(self._bitstream)
            self.im = Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels).im
        return Image.Image.load(self)


def _save(image: Image.Image, fp, filename) -> None:
    from .api import encode_image

    options = {key: image.encoderinfo[key] for key in ENCODE_OPTIONS if key in image.encoderinfo}
    fp.write(encode_image(np.asarray(image), **options))


Image.register_open(InrImageFile.format, InrImageFile, _accept)
Image.register_save(InrImageFile.format, _save)
Image.register_extension(InrImageFile.format, ".inr")
Image.register_mime(InrImageFile.format, "image/x-inrcodec")
