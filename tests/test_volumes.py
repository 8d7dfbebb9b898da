"""Shapes as occupancy fields: round trips of analytic shapes, mesh and grid inputs, decoded meshes in
the source's coordinates, and clear errors for bad shapes and for files of the wrong kind."""

import json

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner

import inrcodec
from inrcodec.cli.main import main
from inrcodec.errors import InputError, LimitError
from inrcodec.models import WEIGHT_ONLY_MODELS
from inrcodec.signals.volume.io import load_shape
from inrcodec.signals.volume.encode import iou

QUICK = dict(quality=1, iterations=300, device="cpu")


def torus_grid(side: int) -> np.ndarray:
    centres = (2 * np.arange(side) + 1) / side - 1
    x, y, z = np.meshgrid(centres, centres, centres, indexing="ij")
    return (np.hypot(x, y) - 0.55) ** 2 + z ** 2 < 0.3 ** 2


@pytest.fixture(scope="module")
def torus_file() -> bytes:
    return inrcodec.encode_volume(torus_grid(32), **QUICK).data


@pytest.fixture(scope="module")
def sphere_mesh(tmp_path_factory):
    """An icosphere of radius 5 centred at (10, 20, 30), as a .ply file."""
    path = tmp_path_factory.mktemp("shapes") / "sphere.ply"
    trimesh.creation.icosphere(subdivisions=3, radius=5.0).apply_translation([10, 20, 30]).export(path)
    return path


def test_torus_at_32_cubed_round_trips_with_iou_above_095(torus_file):
    decoded = inrcodec.decode_volume(torus_file)
    assert decoded.occupancy.shape == (32, 32, 32)
    assert iou(decoded.occupancy, torus_grid(32)) >= 0.95


def test_volume_decodes_at_any_grid_size(torus_file):
    assert inrcodec.decode_volume(torus_file, size=48).occupancy.shape == (48, 48, 48)
    assert inrcodec.decode_volume(torus_file, size=(8, 12, 16)).occupancy.shape == (8, 12, 16)
    assert inrcodec.decode_volume(torus_file, scale=0.5).occupancy.shape == (16, 16, 16)


def test_npy_grid_and_ply_mesh_encode_and_the_mesh_decodes_to_faces_in_source_coordinates(tmp_path, sphere_mesh):
    grid_path = tmp_path / "torus.npy"
    np.save(grid_path, torus_grid(24))
    runner = CliRunner()
    for source in (grid_path, sphere_mesh):
        result = runner.invoke(main, ["encode", str(source), "-q", "1", "--iters", "200", "--size", "24",
                                      "--json", "--quiet"] if source == sphere_mesh else
                               ["encode", str(source), "-q", "1", "--iters", "40", "--json", "--quiet"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["kind"] == "volume" and summary["bytes"] == source.with_suffix(".inr").stat().st_size
    result = runner.invoke(main, ["decode", str(sphere_mesh.with_suffix(".inr")), "-o", str(tmp_path / "out.ply")])
    assert result.exit_code == 0, result.output
    decoded = trimesh.load(tmp_path / "out.ply", force="mesh")
    assert len(decoded.faces) > 100
    assert np.allclose(decoded.bounds.mean(axis=0), [10, 20, 30], atol=0.5)  # back in the source's frame
    assert np.allclose(decoded.extents, 10, atol=1.0)


def test_volume_decodes_to_an_occupancy_grid_file(tmp_path, torus_file):
    source = tmp_path / "torus.inr"
    source.write_bytes(torus_file)
    result = CliRunner().invoke(main, ["decode", str(source), "--size", "20", "-o", str(tmp_path / "torus.npy")])
    assert result.exit_code == 0, result.output
    grid = np.load(tmp_path / "torus.npy")
    assert grid.shape == (20, 20, 20) and grid.dtype == bool and 0 < grid.mean() < 1


def test_info_reports_a_volume_grid_and_bounds(tmp_path, torus_file):
    source = tmp_path / "torus.inr"
    source.write_bytes(torus_file)
    result = CliRunner().invoke(main, ["info", str(source)])
    assert result.exit_code == 0, result.output
    assert "volume on a 32x32x32 grid" in result.output and "x -0.5..31.5" in result.output


def test_files_of_the_other_kind_are_refused_with_one_line(tmp_path, torus_file, small_bitstream):
    runner = CliRunner()
    (tmp_path / "shape.inr").write_bytes(torus_file)
    (tmp_path / "picture.inr").write_bytes(small_bitstream)
    for source, output, message in (("shape.inr", "shape.png", "holds a shape"),
                                    ("picture.inr", "picture.ply", "holds an image")):
        result = runner.invoke(main, ["decode", str(tmp_path / source), "-o", str(tmp_path / output)])
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
        assert not (tmp_path / output).exists()
    with pytest.raises(InputError, match="holds an image"):
        inrcodec.decode_volume(small_bitstream)
    with pytest.raises(InputError, match="holds a volume"):
        inrcodec.decode_image(torus_file)


def test_mesh_points_get_soft_labels_that_follow_signed_distance_and_grid_points_hard_ones():
    import torch

    from inrcodec.signals.volume.encode import PointObjective

    sphere = trimesh.creation.icosphere(subdivisions=4, radius=1.0)
    for signal, soft in ((load_shape((sphere.vertices, sphere.faces), side=16), True),
                         (load_shape(torus_grid(16)), False)):
        objective = PointObjective(signal, 64, torch.Generator().manual_seed(0), seed=0)
        points, labels = objective.points.double().numpy(), objective.labels[:, 0].double().numpy()
        inside = signal.inside(points)
        assert ((labels > 0.5) == inside).all()
        if not soft:
            assert set(np.unique(labels)) == {0.0, 1.0}
            continue
        depth = np.where(inside, 1, -1) * signal.distance(points)
        assert np.allclose(labels, 1 / (1 + np.exp(-depth / PointObjective.SOFTNESS)), atol=1e-4)  # points kept as float32
        assert ((labels > 0.05) & (labels < 0.95)).mean() > 0.1  # the points next to the surface


def test_mesh_distance_within_a_bound_is_the_exact_distance_clipped_to_it():
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=1.0)
    distance = load_shape((sphere.vertices, sphere.faces), side=16).distance
    points = np.random.default_rng(0).uniform(-1.2, 1.2, (4000, 3))  # some outside the cube
    exact = distance(points)
    for within in (0.01, 0.05, 0.3):
        assert np.allclose(distance(points, within), np.minimum(exact, within), rtol=0, atol=1e-12)
        assert 0 < (exact < within).mean() < 1


@pytest.mark.parametrize("vertices, faces, message", [
    (np.zeros((4, 3)), np.zeros((0, 3), dtype=int), "no triangles"),
    (np.array([[0, 0, 0], [1, 0, 0], [np.nan, 1, 0]]), np.array([[0, 1, 2]]), "NaN or infinite"),
    (np.ones((3, 3)), np.array([[0, 1, 2]]), "degenerate"),
    (np.eye(3), np.array([[0, 1, 5]]), "does not have"),
])
def test_bad_meshes_are_refused(vertices, faces, message):
    with pytest.raises(InputError, match=message):
        load_shape((vertices, faces))


def test_bad_grids_and_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="3 axes"):
        load_shape(np.zeros((8, 8), dtype=bool))
    with pytest.raises(InputError, match="no surface"):
        load_shape(np.zeros((8, 8, 8), dtype=bool))
    with pytest.raises(InputError, match="NaN"):
        load_shape(np.full((4, 4, 4), np.nan))
    huge = tmp_path / "huge.npy"
    np.lib.format.open_memmap(huge, mode="w+", dtype=bool, shape=(8192, 8, 8))  # a header, sparse data
    with pytest.raises(LimitError):
        load_shape(huge)
    garbage = tmp_path / "garbage.ply"
    garbage.write_bytes(b"ply\nformat nonsense\n\x00\x01")
    with pytest.raises(InputError, match="garbage.ply"):
        load_shape(garbage)
    points = tmp_path / "points.ply"
    trimesh.PointCloud(np.random.default_rng(0).random((10, 3))).export(points)
    with pytest.raises(InputError, match="no triangles"):
        load_shape(points)


def test_cli_refuses_bad_shapes_and_image_options_without_output(tmp_path):
    runner = CliRunner()
    garbage = tmp_path / "bad.obj"
    garbage.write_text("this is not a mesh\n")
    for arguments in (["encode", str(garbage)], ["encode", str(garbage), "--bpp", "1"]):
        result = runner.invoke(main, arguments)
        assert result.exit_code != 0 and "Traceback" not in result.output, result.output
        assert not garbage.with_suffix(".inr").exists()


def test_latent_model_is_refused_for_shapes():
    with pytest.raises(InputError, match="images only"):
        inrcodec.encode_volume(torus_grid(8), model="latent", iterations=2)


@pytest.mark.parametrize("model", WEIGHT_ONLY_MODELS)
def test_every_weight_only_family_codes_a_shape_through_the_same_path(model):
    result = inrcodec.encode_volume(torus_grid(16), quality=1, iterations=10, model=model)
    assert inrcodec.decode_volume(result.data).occupancy.shape == (16, 16, 16)
    assert result.config["in_features"] == 3 and result.model == model


def test_coarse_to_fine_render_matches_the_exact_render(torus_file, monkeypatch):
    import inrcodec.signals.volume.decode as volume

    fast = inrcodec.decode_volume(torus_file, size=64)
    monkeypatch.setattr(volume, "COARSE_TO_FINE_FROM", 10 ** 6)  # every sample evaluated
    exact = inrcodec.decode_volume(torus_file, size=64)
    assert np.array_equal(fast.occupancy, exact.occupancy)
    near = np.abs(exact.logits) < 1  # where the surface is, the values are the network's own
    assert np.allclose(fast.logits[near], exact.logits[near], atol=1e-5)


def test_work_near_the_surface_is_checked_against_the_limit_once_known(torus_file):
    from inrcodec.bitstream import read_bitstream
    from inrcodec.signals.volume.decode import VOLUME

    stream = read_bitstream(torus_file)
    plan = VOLUME.render_plan(stream.config, stream.geometry, (64, 64, 64))
    with pytest.raises(LimitError, match="near its surface"):
        inrcodec.decode_volume(torus_file, size=64, max_macs=plan.macs)  # the lattice fits, the rest not
