import numpy as np
import pytest

from inrcodec.metrics import psnr
from inrcodec.tools.reference_codecs import CODECS, closest_in_size, compress, settings


@pytest.mark.parametrize("codec", CODECS)
def test_each_classic_codec_sweeps_its_rate(codec, small_rgb):
    pixels = np.tile(small_rgb, (2, 2, 1))
    sizes = [len(compress(pixels, codec, setting).data) for setting in settings(codec)[::4]]
    assert sizes == sorted(sizes)


def test_closest_in_size_lands_near_the_target(small_rgb):
    pixels = np.tile(small_rgb, (4, 4, 1))
    result = closest_in_size(pixels, "jpeg", 3000)
    assert abs(len(result.data) - 3000) < 300 and psnr(pixels, result.decoded) > 15
