"""Scenes as radiance fields: lego_100px beats the per-pixel-mean floor on held-out views, a small
synthetic scene round-trips through the CLI (views, orbit, poses), the occupancy grid travels in the
bitstream, and bad scenes, poses and hostile side data get clear errors."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import inrcodec
from inrcodec.bitstream import read_bitstream, write_bitstream
from inrcodec.cli.main import main
from inrcodec.errors import BitstreamError, InputError
from inrcodec.metrics import psnr
from inrcodec.signals.scene.io import ball_scene, load_scene
from inrcodec.signals.scene.decode import unpack_occupancy
from inrcodec.signals.scene.io import pack_occupancy, to_pixels

from .conftest import SHARED_DATA

LEGO = SHARED_DATA / "nerf" / "lego_100px.npz"


@pytest.fixture(scope="module")
def ball_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ball")
    images, poses, focal = ball_scene()
    (folder / "train").mkdir()
    frames = []
    for index, (image, pose) in enumerate(zip(images, poses)):
        Image.fromarray(image).save(folder / "train" / f"r_{index}.png")
        frames.append({"file_path": f"./train/r_{index}", "transform_matrix": pose.tolist()})
    angle = 2 * np.arctan(images.shape[2] / 2 / focal)
    (folder / "transforms_train.json").write_text(json.dumps({"camera_angle_x": angle, "frames": frames}))
    return folder


@pytest.fixture(scope="module")
def ball_file(ball_folder) -> bytes:
    return inrcodec.encode_scene(ball_folder, quality=1, iterations=150, holdout=4, device="cpu").data


def test_lego_100px_trains_briefly_and_beats_the_per_pixel_mean_floor_on_held_out_views_by_5_db():
    if not LEGO.is_file():
        pytest.skip(f"{LEGO} not found (it comes from ../shared/data)")
    signal = load_scene(LEGO, holdout=10)
    floor = np.mean([psnr(truth, to_pixels(signal.images.mean(axis=0)))
                     for truth in to_pixels(signal.held_out_images)])
    result = inrcodec.encode_scene(LEGO, quality=1, iterations=250, holdout=10, device="cpu")
    assert result.metrics["measured_on"] == "held-out views" and result.metrics["views"] == 10
    assert result.psnr >= floor + 5, (result.psnr, floor)


def test_scene_folder_round_trips_through_the_cli_to_views_an_orbit_and_given_poses(tmp_path, ball_folder, ball_file):
    coded = tmp_path / "ball.inr"
    coded.write_bytes(ball_file)
    runner = CliRunner()
    result = runner.invoke(main, ["decode", str(coded), "--orbit", "3", "--scale", "2", "-o", str(tmp_path / "orbit")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "orbit").iterdir()) == ["orbit.webp", "view_000.png", "view_001.png",
                                                                      "view_002.png"]
    assert Image.open(tmp_path / "orbit" / "view_000.png").size == (48, 48)
    result = runner.invoke(main, ["decode", str(coded), "--poses", str(ball_folder / "transforms_train.json"),
                                  "-o", str(tmp_path / "posed")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "posed").glob("view_*.png"))) == 16
    # the views it was trained on come back close to the source
    truth = np.asarray(Image.open(ball_folder / "train" / "r_1.png").convert("RGBA"), dtype=np.float32) / 255
    truth = to_pixels(truth[..., :3] * truth[..., 3:] + 1 - truth[..., 3:])
    assert psnr(truth, np.asarray(Image.open(tmp_path / "posed" / "view_001.png"))) > 18


def test_encode_reports_held_out_psnr_and_the_file_carries_the_occupancy_grid(ball_file):
    stream = read_bitstream(ball_file)
    occupancy = unpack_occupancy(stream.side_data, stream.geometry.grid_side)
    assert 0 < occupancy.mean() < 0.6
    scene = inrcodec.decode_scene(ball_file)
    assert scene.render(scene.orbit(2)).shape == (2, 24, 24, 3)
    for size, shape in (((36,), (1, 36, 36, 3)), ((40, 20), (1, 20, 40, 3))):  # the longer side, or W x H
        resized = inrcodec.decode_scene(ball_file, size=size)
        assert resized.render(resized.orbit(1)).shape == shape


def test_a_render_over_the_limits_is_refused_before_its_views_are_allocated(ball_file, monkeypatch):
    import dataclasses

    from inrcodec.errors import LimitError
    from inrcodec.render import DecodeLimits

    scene = inrcodec.decode_scene(ball_file)
    allocate = np.empty
    monkeypatch.setattr(np, "empty", lambda shape, *args, **kwargs: pytest.fail("allocated before the check")
                        if isinstance(shape, tuple) and shape[:1] == (1000,) else allocate(shape, *args, **kwargs))
    for limits, message in ((DecodeLimits(max_memory_bytes=1 << 20), "MB"), (DecodeLimits(max_macs=10**7), "multiply-adds")):
        with pytest.raises(LimitError, match=message):  # 1000 views of 24x24: 1.7 MB of pixels
            dataclasses.replace(scene, limits=limits).render(scene.orbit(1000))


def test_views_rendered_in_chunks_over_several_threads_equal_one_threads(ball_file, monkeypatch):
    from inrcodec import render as rendering
    from inrcodec.signals.scene import decode

    scene = inrcodec.decode_scene(ball_file)
    views = scene.orbit(2)
    monkeypatch.setattr(rendering, "render_threads", lambda: 1)
    alone = scene.render(views)
    monkeypatch.setattr(decode, "SAMPLE_CHUNK", 7 * scene.geometry.samples_per_ray)  # 7 rays a chunk
    monkeypatch.setattr(rendering, "render_threads", lambda: 3)
    assert np.array_equal(scene.render(views), alone)


def test_a_view_whose_chunks_overdraw_the_budget_is_refused(ball_file, monkeypatch):
    import dataclasses

    from inrcodec.errors import LimitError
    from inrcodec.render import DecodeLimits
    from inrcodec.signals.scene import decode

    scene = inrcodec.decode_scene(ball_file)
    views = scene.orbit(1)
    monkeypatch.setattr(decode, "SAMPLE_CHUNK", 7 * scene.geometry.samples_per_ray)
    tests_only = (views.width * views.height * scene.geometry.samples_per_ray * decode.SAMPLE_TEST_OPS).macs
    with pytest.raises(LimitError, match="multiply-adds"):  # passes the first check, not the samples' work
        dataclasses.replace(scene, limits=DecodeLimits(max_macs=tests_only + 1)).render(views)


def test_occupancy_packing_round_trips_and_hostile_side_data_is_refused(ball_file):
    grid = np.random.default_rng(0).random((5, 5, 5)) > 0.5
    assert (unpack_occupancy(pack_occupancy(grid), 5) == grid).all()
    stream = read_bitstream(ball_file)
    import zstandard

    oversized = zstandard.ZstdCompressor().compress(bytes(1 << 26))  # 64 MB of zeros in a few KB
    too_large_window = bytes.fromhex("28b52ffdf016da6b95204045000010ffff010093001600")  # found by the fuzzer
    for side_data in (b"", b"not zstd at all", pack_occupancy(np.ones((8, 8, 8), bool)), oversized, too_large_window):
        hostile = write_bitstream(stream.__class__(**{**vars(stream), "side_data": side_data}))
        with pytest.raises(BitstreamError, match="occupancy grid"):
            read_bitstream(hostile)


def _write_transforms(folder, frames, angle=0.7):
    (folder / "transforms_train.json").write_text(json.dumps({"camera_angle_x": angle, "frames": frames}))


@pytest.mark.parametrize("problem, message", [
    ("missing", "no transforms_train.json"),
    ("malformed", "not a Blender transforms file"),
    ("no alpha", "no alpha channel"),
    ("missing frame", "does not exist"),
    ("bad pose", "4x4"),
    ("nan pose", "NaN or infinite"),
])
def test_bad_scene_folders_get_a_clear_error_and_no_output(tmp_path, problem, message):
    folder = tmp_path / "scene"
    folder.mkdir()
    pose = np.eye(4).tolist()
    Image.fromarray(np.zeros((8, 8, 4), np.uint8)).save(folder / "a.png")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "rgb.png")
    if problem == "malformed":
        (folder / "transforms_train.json").write_text("{not json")
    elif problem == "no alpha":
        _write_transforms(folder, [{"file_path": "./rgb", "transform_matrix": pose}])
    elif problem == "missing frame":
        _write_transforms(folder, [{"file_path": "./nowhere", "transform_matrix": pose}])
    elif problem == "bad pose":
        _write_transforms(folder, [{"file_path": "./a", "transform_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}])
    elif problem == "nan pose":
        _write_transforms(folder, [{"file_path": "./a", "transform_matrix": [[float("nan")] * 4] * 4}])
    result = CliRunner().invoke(main, ["encode", str(folder), "-o", str(tmp_path / "out.inr"), "--quiet"])
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "out.inr").exists()


def test_files_of_another_kind_are_refused_where_a_scene_is_expected_and_the_reverse(tmp_path, ball_file, small_bitstream):
    with pytest.raises(InputError, match="holds an image, not a scene"):
        inrcodec.decode_scene(small_bitstream)
    with pytest.raises(InputError, match="holds a scene, not an image"):
        inrcodec.decode_image(ball_file)
    coded = tmp_path / "ball.inr"
    coded.write_bytes(ball_file)
    runner = CliRunner()
    result = runner.invoke(main, ["decode", str(coded), "-o", str(tmp_path / "ball.png")])
    assert result.exit_code == 1 and "written to a folder" in result.output
    image = tmp_path / "small.inr"
    image.write_bytes(small_bitstream)
    result = runner.invoke(main, ["decode", str(image), "--orbit", "4", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "apply to scenes" in result.output
    poses = tmp_path / "poses.json"
    poses.write_text(json.dumps({"camera_angle_x": 0.7, "frames": [{"transform_matrix": [[1, 2], [3, 4]]}]}))
    result = runner.invoke(main, ["decode", str(coded), "--poses", str(poses), "-o", str(tmp_path / "views")])
    assert result.exit_code == 1 and "4x4" in result.output and not (tmp_path / "views").exists()


@pytest.mark.parametrize("side,samples,seed", [(8, 64, 0), (16, 200, 1), (5, 7, 2), (32, 480, 3)])
def test_the_marchers_coarse_to_fine_passes_find_exactly_the_samples_in_occupied_cells(side, samples, seed):
    from inrcodec.signals.scene.decode import RayMarcher, SceneGeometry, Views, box_samples

    rng = np.random.default_rng(seed)
    occupancy = rng.random((side,) * 3) < 0.05
    geometry = SceneGeometry(40, 30, samples, side, 50.0, 1.0, 7.0, 0.1, -0.2, 0.3, 0.9, 1.3, 0.7, 4.0, 1.5)
    poses = np.stack([_look_at(rng.normal(size=3) * 2.5 + [0, 0, 1]) for _ in range(3)])
    views = Views(poses, 40, 30, 50.0)
    marcher = RayMarcher(geometry, occupancy)
    for index in range(3):
        origins, directions = (a.astype(np.float32) for a in views.rays(index))
        positions, ray, _ = marcher.points(origins, directions)
        # every sample of every ray, tested one by one
        first, count = box_samples(geometry, origins, directions)
        s = np.arange(samples)
        depths = np.float32(geometry.near) + (s.astype(np.float32) + np.float32(0.5)) * np.float32(geometry.step)
        every = (origins[:, None] + depths[None, :, None] * directions[:, None] - marcher.centre) / marcher.halves
        cells = np.floor((every + 1) / 2 * side)
        inside = ((cells >= 0) & (cells < side)).all(-1) & (s >= first[:, None]) & (s < (first + count)[:, None])
        clipped = np.clip(cells, 0, side - 1).astype(int)
        active = inside & occupancy[clipped[..., 0], clipped[..., 1], clipped[..., 2]]
        assert marcher.passes or samples < 20
        assert np.array_equal(ray, np.nonzero(active)[0]) and np.array_equal(positions, every[active])


def _look_at(position: np.ndarray) -> np.ndarray:
    back = position / np.linalg.norm(position)
    right = np.cross([0.0, 0.0, 1.0], back)
    right /= np.linalg.norm(right)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, np.cross(back, right), back, position
    return pose


class _RecordingField:
    """A stand-in network: density ``log(e^y − 1)`` chosen per call, colour 0.25 grey; counts points."""

    class config:
        @staticmethod
        def floats_per_point() -> int:
            return 8

    def __init__(self, density_output: float):
        self.density_output, self.evaluated = density_output, 0

    def on_points(self, points: np.ndarray) -> np.ndarray:
        self.evaluated += len(points)
        out = np.full((len(points), 4), np.log(1 / 3), dtype=np.float32)  # sigmoid -> 0.25
        out[:, 0] = self.density_output
        return out


def test_a_ray_stops_once_opaque_and_a_clear_ray_composites_every_sample():
    from inrcodec.signals.scene.decode import RayMarcher, SceneGeometry

    geometry = SceneGeometry(4, 4, 200, 4, 4.0, 0.0, 4.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 3.0, 1.0)
    marcher = RayMarcher(geometry, np.ones((4, 4, 4), dtype=bool))
    samples = 120  # two rays of 60 samples each, one after the other in the packed order
    positions = np.zeros((samples, 3), dtype=np.float32)
    ray = np.repeat([0, 1], 60)
    opaque = _RecordingField(30.0)  # optical depth 0.6 per sample: past 8 by the 15th
    colours = marcher.composite(opaque, positions, ray, 2)
    rounds = int(marcher.OPAQUE / (0.6 * marcher.ROUND)) + 1  # until a round ends past optical depth 8
    assert opaque.evaluated == 2 * rounds * marcher.ROUND < samples
    np.testing.assert_allclose(colours, 0.25, atol=1e-3)
    faint = _RecordingField(-6.0)  # optical depth 5e-5 per sample: never opaque
    colours = marcher.composite(faint, positions, ray, 2)
    step_depth = np.log1p(np.exp(-6.0)) * geometry.step
    expected = 1 + (1 - np.exp(-60 * step_depth)) * (0.25 - 1)
    assert faint.evaluated == samples
    np.testing.assert_allclose(colours, expected, rtol=1e-5)
