"""The quality ladder on real photographs: a higher level never gives a smaller file."""

import numpy as np
from PIL import Image

import inrcodec

from .conftest import centre_crop, kodak_dir


def test_rates_rise_with_the_quality_level_on_a_kodak_crop():
    pixels = centre_crop(np.asarray(Image.open(kodak_dir() / "kodim23.png")), 160)
    results = [inrcodec.encode(pixels, quality=level, iterations=80, device="cpu") for level in (1, 3, 5)]
    rates = [r.bpp for r in results]
    assert rates == sorted(rates) and len(set(rates)) == 3, rates
    for result in results:
        assert result.bpp == 8 * len(result.data) / (160 * 160)
        assert result.psnr > 20
