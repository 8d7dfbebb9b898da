"""Reading scenes to code: a Blender-synthetic folder (``transforms_*.json`` + RGBA PNGs, OpenGL
cameras) or the ``.npz`` layout of ``lego_100px.npz`` (``images_rgba``, ``poses``, ``focal``); the
pictures composited on white; the box the network covers and its occupancy grid, carved from the
training views' alpha masks (a visual hull: a cell stays if every view that sees it has coverage
there).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import InputError, LimitError
from ..base import SignalKind
from .decode import MAX_VIEW_SIDE, SceneGeometry, Views, orbit_poses

SCENE_SUFFIXES = (".npz",)
DEFAULT_SCENE_SIDE = 100  # training views are resized to this longer side unless --size says otherwise
GRID_SIDE = 64  # occupancy cells per axis of the box (a 64³ hull, ~1.3 KB with zstd: benchmarks/RESULTS.md, Scenes)
SAMPLES_PER_RAY = 96  # at least: views over 96 pixels take one sample per pixel of their longer side
# one sample a pixel, not 0.8: +0.2 and +0.4 dB held out on lego at 400 px (two seeds), renders 30 % longer (RESULTS.md)
SAMPLES_PER_PIXEL = 1.0
MAX_VIEWS = 1000
BOX_MARGIN_CELLS = 1
MIN_SEEN_SHARE = 0.25  # a cell is carved only if at least this share of the views sees it
MAX_DILATION = 8  # pixels: a cell's projected radius, capped (cells right in front of a camera)  # the box is the hull's bounding box grown by this many cells per side


@dataclass(frozen=True)
class SceneSignal:
    """A scene to code: training views (RGB composited on white, in [0, 1]), the box and occupancy
    grid carved from them, and the held-out views the encoder reports on (possibly none)."""

    geometry: SceneGeometry
    occupancy: np.ndarray  # (G, G, G) bool over the box, x first
    views: Views
    images: np.ndarray  # (N, H, W, 3) float32
    held_out: Views | None = None
    held_out_images: np.ndarray | None = None
    kind = SignalKind.SCENE


def pack_occupancy(occupancy: np.ndarray) -> bytes:
    """The occupancy grid as the bitstream carries it: bits in C order, zstd-compressed."""
    import zstandard

    return zstandard.ZstdCompressor(level=19).compress(np.packbits(occupancy.reshape(-1)).tobytes())


def to_pixels(images: np.ndarray) -> np.ndarray:
    """Float RGB in [0, 1] as the uint8 pixels renders are compared with."""
    return (np.clip(images, 0, 1) * 255).round().astype(np.uint8)



def is_scene_path(path: str | os.PathLike) -> bool:
    path = Path(path)
    return path.is_dir() or path.suffix.lower() in SCENE_SUFFIXES


def load_scene(source: str | os.PathLike, size: int | None = None, holdout: int = 0) -> SceneSignal:
    """A scene folder or ``.npz`` file, ready to code: views resized so the longer side is ``size``
    (default 100, or the source's if smaller), every ``holdout``-th view (0, K, 2K, …) kept out of
    training for the encoder's report (0: none)."""
    path = Path(source)
    if size is not None and not 1 <= size <= MAX_VIEW_SIDE:
        raise InputError(f"--size {size} is outside 1..{MAX_VIEW_SIDE}")
    if holdout < 0 or holdout == 1:
        raise InputError("--holdout K keeps every K-th view out of training: K is 0 (none) or at least 2")
    if path.is_dir():
        rgba, poses, focal = _read_folder(path, size)
    elif path.is_file() and path.suffix.lower() in SCENE_SUFFIXES:
        rgba, poses, focal = _read_npz(path)
        rgba, focal = _resized(rgba, focal, _side(rgba.shape[1:3], size))
    elif not path.exists():
        raise InputError(f"{path}: no such file or folder")
    else:
        raise InputError(f"{path}: a scene is a folder with transforms_*.json or a .npz file")
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (4, 4) or len(poses) != len(rgba):
        raise InputError(f"{path}: the poses must be one 4x4 matrix per view, not shape {poses.shape}")
    if not np.isfinite(poses).all():
        raise InputError(f"{path}: the camera poses have NaN or infinite values")
    alpha = rgba[..., 3]
    images = rgba[..., :3] * alpha[..., None] + (1 - alpha[..., None])  # composited on white
    held = np.zeros(len(poses), dtype=bool)
    if holdout:
        held[::holdout] = True
    if held.all():
        raise InputError("every view is held out: nothing to train on")
    height, width = images.shape[1:3]
    train = Views(poses[~held], width, height, focal)
    geometry, occupancy = carve(train, alpha[~held])
    return SceneSignal(geometry, occupancy, train, images[~held].astype(np.float32),
                       Views(poses[held], width, height, focal) if held.any() else None,
                       images[held].astype(np.float32) if held.any() else None)


def _side(shape: tuple[int, int], size: int | None) -> int:
    """The longer side views are trained at: ``size``, or 100 (the source's if smaller)."""
    return min(DEFAULT_SCENE_SIDE, max(shape)) if size is None else size


def _read_folder(path: Path, size: int | None) -> tuple[np.ndarray, np.ndarray, float]:
    """The views of a Blender folder, each resized as it is read (800-pixel views would take a
    gigabyte as float arrays), its poses and the focal length at the resized size."""
    candidates = sorted(path.glob("transforms*.json"))
    chosen = path / "transforms_train.json" if (path / "transforms_train.json").is_file() else \
        (candidates[0] if len(candidates) == 1 else None)
    if chosen is None:
        raise InputError(f"{path}: no transforms_train.json (or single transforms*.json) in the folder")
    try:
        meta = json.loads(chosen.read_text())
        angle = float(meta["camera_angle_x"])
        frames = [(str(frame["file_path"]), np.array(frame["transform_matrix"], dtype=np.float64))
                  for frame in meta["frames"]]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise InputError(f"{chosen}: not a Blender transforms file ({type(error).__name__}: {error})") from None
    if not frames:
        raise InputError(f"{chosen}: no frames")
    if len(frames) > MAX_VIEWS:
        raise LimitError(f"{chosen}: {len(frames)} views, more than {MAX_VIEWS}")
    if not (math.isfinite(angle) and 0 < angle < math.pi):
        raise InputError(f"{chosen}: camera_angle_x {angle} is not an angle in (0, π)")
    images, source_shape, focal = [], None, None
    for name, _ in frames:
        image = _read_rgba(chosen.parent / name, chosen)
        if source_shape is None:
            source_shape = image.shape
        elif image.shape != source_shape:
            raise InputError(f"{chosen}: the views do not all have the same size")
        resized, focal = _resized(image[None], image.shape[1] / 2 / math.tan(angle / 2), _side(image.shape[:2], size))
        images.append(resized[0])
    return np.stack(images), np.stack([pose for _, pose in frames]), focal


def _read_rgba(base: Path, transforms: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    path = base if base.suffix else base.with_suffix(".png")
    path = Path(os.path.normpath(path))
    try:
        with Image.open(path) as image:
            if image.mode not in ("RGBA", "LA", "PA") and "transparency" not in image.info:
                raise InputError(f"{path}: the view has no alpha channel (carving the scene's occupied "
                                 "space needs one)")
            if max(image.size) > MAX_VIEW_SIDE:
                raise LimitError(f"{path}: {image.size[0]}x{image.size[1]} is larger than {MAX_VIEW_SIDE}")
            return np.asarray(image.convert("RGBA"), dtype=np.float32) / 255
    except FileNotFoundError:
        raise InputError(f"{transforms}: frame {path} does not exist") from None
    except (UnidentifiedImageError, OSError) as error:
        raise InputError(f"{path}: not a picture Pillow can read ({error})") from None


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    try:
        with np.load(path, allow_pickle=False) as data:
            rgba, poses, focal = data["images_rgba"], data["poses"], float(data["focal"])
    except KeyError as error:
        raise InputError(f"{path}: a scene .npz holds images_rgba, poses and focal ({error} is missing)") from None
    except (ValueError, OSError, TypeError) as error:
        raise InputError(f"{path}: not a scene .npz file ({error})") from None
    if rgba.ndim != 4 or rgba.shape[-1] != 4 or not len(rgba):
        raise InputError(f"{path}: images_rgba must be (views, height, width, 4), not {rgba.shape}")
    if max(rgba.shape[1:3]) > MAX_VIEW_SIDE or len(rgba) > MAX_VIEWS:
        raise LimitError(f"{path}: {rgba.shape[0]} views of {rgba.shape[2]}x{rgba.shape[1]} is over the limits")
    if not (math.isfinite(focal) and focal > 0):
        raise InputError(f"{path}: the focal length {focal} is not positive")
    scale = 255.0 if rgba.dtype == np.uint8 else 1.0
    return rgba.astype(np.float32) / scale, poses, focal


def _resized(rgba: np.ndarray, focal: float, side: int) -> tuple[np.ndarray, float]:
    """Views resized (box filter over premultiplied colour) so the longer side is ``side``."""
    height, width = rgba.shape[1:3]
    if max(height, width) == side:
        return rgba, focal
    from PIL import Image

    factor = side / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    premultiplied = np.concatenate([rgba[..., :3] * rgba[..., 3:], rgba[..., 3:]], axis=-1)
    out = np.stack([np.stack([np.asarray(Image.fromarray(view[..., c]).resize(size, Image.Resampling.BOX))
                              for c in range(4)], axis=-1) for view in premultiplied])
    alpha = out[..., 3:]
    colour = np.where(alpha > 0, out[..., :3] / np.maximum(alpha, 1e-8), 0)
    return np.concatenate([np.clip(colour, 0, 1), alpha], axis=-1).astype(np.float32), focal * size[0] / width


def carve(views: Views, alpha: np.ndarray) -> tuple[SceneGeometry, np.ndarray]:
    """The box and ``GRID_SIDE``³ occupancy of the visual hull of ``views``' alpha masks: carved over
    a cube around the point the cameras look at, then twice more, each time over the bounding box
    (grown by a cell) of the hull before."""
    positions = views.poses[:, :3, 3]
    axes = -views.poses[:, :3, 2]  # viewing directions
    centre = _closest_point_to_lines(positions, axes)
    distances = np.linalg.norm(positions - centre, axis=1)
    field = max(views.width, views.height) / 2 / views.focal  # tan of the half field of view
    half = float(np.max(distances) * field * 1.5)
    low, high = centre - half, centre + half
    for _ in range(2):
        occupancy = _hull(views, alpha, low, high)
        if not occupancy.any():
            raise InputError("the views' alpha masks carve away all of space: no object is seen by every camera")
        cells = (high - low) / GRID_SIDE
        used = np.argwhere(occupancy)
        low, high = low + (used.min(axis=0) - BOX_MARGIN_CELLS) * cells, low + (used.max(axis=0) + 1 + BOX_MARGIN_CELLS) * cells
    occupancy = _hull(views, alpha, low, high)
    centre, halves = (low + high) / 2, (high - low) / 2
    relative = positions - centre
    reach = float(np.linalg.norm(halves))  # the box lies within this distance of its centre
    near = max(0.0, float(np.min(np.linalg.norm(relative, axis=1))) - reach)
    far = float(np.max(np.linalg.norm(relative, axis=1))) + reach
    geometry = SceneGeometry(
        width=views.width, height=views.height, grid_side=GRID_SIDE,
        samples_per_ray=max(SAMPLES_PER_RAY, round(SAMPLES_PER_PIXEL * max(views.width, views.height))),
        focal=float(np.float32(views.focal)), near=float(np.float32(near)), far=float(np.float32(far)),
        centre_x=float(np.float32(centre[0])), centre_y=float(np.float32(centre[1])), centre_z=float(np.float32(centre[2])),
        half_x=float(np.float32(halves[0])), half_y=float(np.float32(halves[1])), half_z=float(np.float32(halves[2])),
        orbit_radius=float(np.float32(np.median(np.linalg.norm(relative[:, :2], axis=1)))),
        orbit_height=float(np.float32(np.median(relative[:, 2]))))
    return geometry, occupancy


def _hull(views: Views, alpha: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Cells of the box [low, high] (``GRID_SIDE`` per axis) whose centre at least
    ``MIN_SEEN_SHARE`` of the views see and every view that sees it covers, each mask dilated by
    the projected radius of a cell (so thin parts survive)."""
    from scipy.ndimage import maximum_filter

    side = GRID_SIDE
    cells = (high - low) / side
    axes = [low[i] + (np.arange(side) + 0.5) * cells[i] for i in range(3)]
    centres = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    keep = np.ones(len(centres), dtype=bool)
    seen = np.zeros(len(centres), dtype=np.int64)
    radius = float(np.linalg.norm(cells)) / 2
    for pose, mask in zip(views.poses, alpha):
        camera = (centres - pose[:3, 3]) @ pose[:3, :3]  # world -> camera frame (rotation is orthonormal)
        depth = -camera[:, 2]
        front = depth > 1e-6
        safe = np.where(front, depth, 1.0)
        u = views.width / 2 + views.focal * camera[:, 0] / safe
        v = views.height / 2 - views.focal * camera[:, 1] / safe
        inside = front & (u >= 0) & (u < views.width) & (v >= 0) & (v < views.height)
        reach = np.clip(np.ceil(views.focal * radius / safe), 0, MAX_DILATION).astype(np.int64)
        row = np.clip(v.astype(np.int64), 0, views.height - 1)
        column = np.clip(u.astype(np.int64), 0, views.width - 1)
        hit = np.zeros(len(centres), dtype=bool)
        for pixels in np.unique(reach[inside]):  # each cell looks at the mask dilated by its own reach
            chosen = inside & (reach == pixels)
            covered = maximum_filter(mask > 0, size=2 * int(pixels) + 1)
            hit[chosen] = covered[row[chosen], column[chosen]]
        keep &= ~inside | hit
        seen += inside
    # space next to the cameras is seen by few of them, all looking past it at the object
    return (keep & (seen >= MIN_SEEN_SHARE * len(views.poses))).reshape(side, side, side)


def _closest_point_to_lines(points: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """The point with the least summed squared distance to the lines ``points + t · directions``."""
    directions = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    projectors = np.eye(3)[None] - directions[:, :, None] * directions[:, None, :]
    return np.linalg.lstsq(projectors.sum(axis=0), np.einsum("nij,nj->i", projectors, points), rcond=None)[0]


def ball_scene(count: int = 16, side: int = 24) -> tuple[np.ndarray, np.ndarray, float]:
    """A synthetic scene for tests and conformance files: ``(rgba (count, side, side, 4) uint8,
    poses (count, 4, 4), focal)`` — a ball of radius 0.6 at the origin coloured by its normal, seen
    from cameras on a ring of radius 3 at height 1, looking at the origin."""
    views = Views(orbit_poses(np.zeros(3), 3.0, 1.0, count), side, side, side * 1.2)
    images = []
    for index in range(count):
        origins, directions = views.rays(index)
        b = np.einsum("ij,ij->i", origins, directions)
        discriminant = b * b - (np.einsum("ij,ij->i", origins, origins) - 0.6 ** 2)
        t = -b - np.sqrt(np.maximum(discriminant, 0))
        normals = (origins + t[:, None] * directions) / 0.6
        rgba = np.concatenate([(normals + 1) / 2, np.ones((len(b), 1))], axis=1) * (discriminant > 0)[:, None]
        images.append((rgba.reshape(side, side, 4) * 255).round().astype(np.uint8))
    return np.stack(images), views.poses, views.focal


def read_cameras(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """``(poses (N, 4, 4), camera_angle_x)`` of a Blender transforms JSON, to render its views."""
    path = Path(path)
    try:
        meta = json.loads(path.read_text())
        angle = float(meta["camera_angle_x"])
        poses = np.array([frame["transform_matrix"] for frame in meta["frames"]], dtype=np.float64)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise InputError(f"{path}: not a Blender transforms file ({type(error).__name__}: {error})") from None
    if poses.ndim != 3 or poses.shape[1:] != (4, 4) or not len(poses):
        raise InputError(f"{path}: every frame's transform_matrix must be 4x4 (got shape {poses.shape})")
    if len(poses) > MAX_VIEWS:
        raise LimitError(f"{path}: {len(poses)} views, more than {MAX_VIEWS}")
    if not np.isfinite(poses).all():
        raise InputError(f"{path}: the camera poses have NaN or infinite values")
    return poses, angle


def save_views(views: np.ndarray, folder: Path, animation: bool) -> None:
    """Rendered ``(N, H, W, 3)`` uint8 views as ``view_000.png`` …, and an animated ``orbit.webp``."""
    from PIL import Image

    pictures = [Image.fromarray(view) for view in views]
    for index, picture in enumerate(pictures):
        picture.save(folder / f"view_{index:03d}.png")
    if animation:
        pictures[0].save(folder / "orbit.webp", save_all=True, append_images=pictures[1:], duration=80, loop=0,
                         quality=90)
