"""inrcodec where people already work: Pillow, shell pipes, side-by-side comparisons."""

import io
import subprocess
import sys

import numpy as np
from click.testing import CliRunner
from PIL import Image

import inrcodec
from inrcodec.cli.main import main


def test_pillow_opens_and_saves_inr(tmp_path, small_rgb):
    path = tmp_path / "picture.inr"
    Image.fromarray(small_rgb).save(path, quality=2, iterations=30, device="cpu")
    with Image.open(path) as image:
        assert (image.format, image.mode, image.size) == ("INR", "RGB", (40, 32))
        assert np.array_equal(np.asarray(image), inrcodec.decode_image(path.read_bytes()))


def test_pillow_refuses_damaged_inr_files_like_any_other(tmp_path, small_bitstream):
    path = tmp_path / "damaged.inr"
    path.write_bytes(small_bitstream[:-3])
    try:
        Image.open(path)
    except Exception as error:  # Pillow's own "cannot identify image file"
        assert type(error).__name__ == "UnidentifiedImageError"
    else:
        raise AssertionError("a damaged file opened")


def test_encode_and_decode_through_pipes(small_png):
    command = [sys.executable, "-m", "inrcodec.cli.main"]
    encoded = subprocess.run(command + ["encode", "-", "-o", "-", "--iters", "20", "--device", "cpu", "-q", "1"],
                             input=small_png.read_bytes(), capture_output=True, check=True)
    assert encoded.stdout[:4] == b"\x89INR" and b"bpp" in encoded.stderr
    decoded = subprocess.run(command + ["decode", "-", "-o", "-", "--scale", "2"],
                             input=encoded.stdout, capture_output=True, check=True)
    assert Image.open(io.BytesIO(decoded.stdout)).size == (80, 64)


def test_compare_writes_a_side_by_side_picture(tmp_path, small_png):
    output = tmp_path / "side.png"
    result = CliRunner().invoke(main, ["compare", str(small_png), "-o", str(output), "--iters", "20",
                                       "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "jpeg" in result.output and "webp" in result.output
    width, height = Image.open(output).size
    assert width > 4 * 40 and height > 32


def test_the_wheel_lists_every_subpackage_of_the_source_tree():
    """pyproject names packages explicitly (cli/ installs as inrcodec.cli); an unlisted subpackage
    works in an editable install and is missing from a built wheel."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "inrcodec").rglob("__init__.py")}
    assert found | {"inrcodec.cli"} == listed


def test_pillow_says_a_shape_or_scene_file_is_not_a_picture():
    from benchmarks.fuzz import CONFORMANCE
    from inrcodec.errors import InputError

    others = [path for path in CONFORMANCE if inrcodec.api.read_kind(path.read_bytes()) != "image"]
    assert {inrcodec.api.read_kind(path.read_bytes()) for path in others} == {"volume", "scene"}
    for path in others:
        try:
            Image.open(path)
        except InputError as error:
            assert "not a picture" in str(error)
        else:
            raise AssertionError(f"{path.name} opened as a picture")
