"""Every released bitstream keeps decoding: its weights exactly (they are integers), its picture to
within the rounding FORMAT.md allows (float32 summation order may move a pixel by one level)."""

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

import inrcodec
from inrcodec.bitstream import READABLE_VERSIONS, read_bitstream
from inrcodec.decoder import decode_network, decode_symbols
from inrcodec.signals import SignalKind
from inrcodec.signals.image.decode import image_render_plan, render_image
from inrcodec.signals.volume.decode import VOLUME

FOLDER = Path(__file__).resolve().parents[1] / "bitstreams" / "conformance"
BITSTREAMS = sorted(FOLDER.glob("*.inr"))
IMAGES = [path for path in BITSTREAMS if read_bitstream(path.read_bytes()).kind == SignalKind.IMAGE]
VOLUMES = [path for path in BITSTREAMS if read_bitstream(path.read_bytes()).kind == SignalKind.VOLUME]
SCENES = [path for path in BITSTREAMS if read_bitstream(path.read_bytes()).kind == SignalKind.SCENE]


def test_conformance_files_cover_every_signal_kind_and_every_readable_version():
    streams = [read_bitstream(path.read_bytes()) for path in BITSTREAMS]
    assert {stream.kind for stream in streams} == set(SignalKind)
    assert {stream.version for stream in streams} == set(READABLE_VERSIONS)


@pytest.mark.parametrize("path", BITSTREAMS, ids=lambda p: p.name)
def test_conformance_file_decodes_to_its_exact_weights_and_latents(path):
    stream = read_bitstream(path.read_bytes())
    expected = json.loads(path.with_suffix(".weights.json").read_text())
    assert expected["format_version"] == stream.version
    decoded, latents = decode_symbols(stream)
    assert [q.tolist() for q in decoded] == expected["groups"]
    assert [grid.tolist() for grid in latents] == expected.get("latents", [])


@pytest.mark.parametrize("path", IMAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("scale", [1, 2])
def test_conformance_file_decodes_to_its_expected_picture(path, scale):
    expected_path = path.with_suffix(".png") if scale == 1 else path.with_name(f"{path.stem}_x2.png")
    expected = np.atleast_3d(np.asarray(Image.open(expected_path))).astype(np.int64)
    decoded = inrcodec.decode_image(path.read_bytes(), scale=scale)
    assert decoded.shape == expected.shape
    assert np.abs(decoded.astype(np.int64) - expected).max() <= 1


@pytest.mark.parametrize("path", IMAGES, ids=lambda p: p.name)
def test_float32_rendering_is_within_one_level_of_float64(path):
    """The bound FORMAT.md states for renders on other machines: float32 against a float64 reference
    of the same exact weights, at ×1 and ×3."""
    stream = read_bitstream(path.read_bytes())
    network = decode_network(stream)
    reference = decode_network(stream, dtype=np.float64)
    for scale in (1, 3):
        width, height = stream.geometry.width * scale, stream.geometry.height * scale
        plan = image_render_plan(stream.config, stream.geometry, width, height)
        single = render_image(network, stream.geometry, plan).astype(np.int64)
        double = render_image(reference, stream.geometry, plan, dtype=np.float64).astype(np.int64)
        assert np.abs(single - double).max() <= 1


@pytest.mark.parametrize("path", VOLUMES, ids=lambda p: p.name)
@pytest.mark.parametrize("scale", [1, 2])
def test_volume_conformance_file_decodes_to_its_expected_occupancy(path, scale):
    """Every sample as expected, but for those whose float64 logit is within float32 rounding of 0
    (FORMAT.md: the sign of such a sample may differ between conforming decoders)."""
    stream = read_bitstream(path.read_bytes())
    expected = np.load(path.with_suffix(".npy") if scale == 1 else path.with_name(f"{path.stem}_x2.npy"))
    decoded = inrcodec.decode_volume(path.read_bytes(), scale=scale)
    assert decoded.occupancy.shape == expected.shape
    shape = decoded.occupancy.shape
    reference = VOLUME.render(decode_network(stream, dtype=np.float64), stream.geometry,
                              VOLUME.render_plan(stream.config, stream.geometry, shape))
    undecided = np.abs(reference.logits) < 1e-4
    assert undecided.mean() < 0.01
    assert np.array_equal(decoded.occupancy[~undecided], expected[~undecided])


@pytest.mark.parametrize("path", VOLUMES, ids=lambda p: p.name)
def test_volume_conformance_file_decodes_to_its_expected_mesh(path):
    expected = trimesh.load(path.with_suffix(".ply"), force="mesh", process=False)
    vertices, faces = inrcodec.decode_volume(path.read_bytes()).mesh()
    assert abs(len(faces) - len(expected.faces)) <= 0.01 * len(expected.faces)
    assert np.allclose(vertices.min(axis=0), expected.vertices.min(axis=0), atol=1e-3)
    assert np.allclose(vertices.max(axis=0), expected.vertices.max(axis=0), atol=1e-3)


@pytest.mark.parametrize("path", SCENES, ids=lambda p: p.name)
@pytest.mark.parametrize("scale", [1, 2])
def test_scene_conformance_file_renders_its_expected_orbit_views(path, scale):
    expected = np.load(path.with_suffix(".npy") if scale == 1 else path.with_name(f"{path.stem}_x2.npy"))
    scene = inrcodec.decode_scene(path.read_bytes(), scale=scale)
    rendered = scene.render(scene.orbit(2)).astype(np.int64)
    assert rendered.shape == expected.shape
    assert np.abs(rendered - expected).max() <= 1
