"""Every released bitstream keeps decoding to its expected picture (to within one grey level:
weights decode exactly, only the final float render may round differently on another machine)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import inrcodec

FOLDER = Path(__file__).resolve().parents[1] / "bitstreams" / "conformance"
BITSTREAMS = sorted(FOLDER.glob("*.inr"))


def test_there_are_conformance_files_for_every_signal_kind():
    assert len(BITSTREAMS) >= 2


@pytest.mark.parametrize("path", BITSTREAMS, ids=lambda p: p.name)
@pytest.mark.parametrize("scale", [1, 2])
def test_conformance_file_decodes_to_its_expected_picture(path, scale):
    expected_path = path.with_suffix(".png") if scale == 1 else path.with_name(f"{path.stem}_x2.png")
    expected = np.atleast_3d(np.asarray(Image.open(expected_path))).astype(np.int64)
    decoded = inrcodec.decode_image(path.read_bytes(), scale=scale)
    tolerance = 257 if decoded.dtype == np.uint16 else 1  # one 8-bit grey level
    assert decoded.shape == expected.shape
    assert np.abs(decoded.astype(np.int64) - expected).max() <= tolerance
