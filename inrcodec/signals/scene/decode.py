"""Scenes as the decoder sees them: a radiance field (position -> density and colour) coded like any
other network, rendered by volume rendering of camera rays composited on white, at any pose and
resolution.

The network sees positions normalized to [-1, 1]³ over the box the header records (``source =
centre + half · u``, per axis). An occupancy grid over that box — the training views' visual hull —
travels beside the weights (zstd-packed bits): samples in its empty cells have no density and are
never evaluated, which is what makes training and rendering affordable on a CPU. Reading
scene folders, cameras and carving the hull live in ``io``; training in ``encode``.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass

import numpy as np

from ...errors import BitstreamError, InputError, LimitError
from ...models import ModelConfig, Network
from ...models.base import Ops
from ...render import ACTIVATION_BUDGET_BYTES, FLOAT_BYTES, DecodeLimits, RenderPlan, render_threads, thread_pool
from ..base import SignalKind, SignalType
from ..image.decode import output_size

MAX_VIEW_SIDE = 8192
MAX_GRID_SIDE = 256  # occupancy cells per axis
MAX_SAMPLES_PER_RAY = 4096
SAMPLE_CHUNK = 1 << 21  # ray samples a render thread holds at once: bounded memory at any view size and depth
SAMPLE_BYTES = 96  # per ray sample of a chunk: position, cell, masks, density, colour, weights
SAMPLE_TEST_OPS = Ops(elementwise=24)  # per ray sample: position, normalization, cell lookup
COMPOSITE_OPS = Ops(elementwise=12)  # per evaluated sample: density, alpha, transmittance, colour


@dataclass(frozen=True)
class SceneGeometry:
    """What a scene bitstream records: the default view size and focal length (pixels), the ray
    interval and samples per ray, the box the network covers and the occupancy grid's side, and the
    default orbit (radius and height of the cameras, around the box's vertical axis)."""

    width: int
    height: int
    samples_per_ray: int
    grid_side: int
    focal: float
    near: float
    far: float
    centre_x: float
    centre_y: float
    centre_z: float
    half_x: float
    half_y: float
    half_z: float
    orbit_radius: float
    orbit_height: float

    @property
    def centre(self) -> np.ndarray:
        return np.array([self.centre_x, self.centre_y, self.centre_z])

    @property
    def halves(self) -> np.ndarray:
        return np.array([self.half_x, self.half_y, self.half_z])

    @property
    def step(self) -> float:
        """Length of one ray segment (rays have unit direction)."""
        return (self.far - self.near) / self.samples_per_ray

    def validate(self) -> None:
        if not (1 <= self.width <= MAX_VIEW_SIDE and 1 <= self.height <= MAX_VIEW_SIDE):
            raise LimitError(f"scene view {self.width}x{self.height} is outside 1..{MAX_VIEW_SIDE} per side")
        if not 1 <= self.samples_per_ray <= MAX_SAMPLES_PER_RAY:
            raise LimitError(f"{self.samples_per_ray} samples per ray is outside 1..{MAX_SAMPLES_PER_RAY}")
        if not 1 <= self.grid_side <= MAX_GRID_SIDE:
            raise LimitError(f"occupancy grid side {self.grid_side} is outside 1..{MAX_GRID_SIDE}")
        floats = (self.focal, self.near, self.far, *self.centre, *self.halves, self.orbit_radius, self.orbit_height)
        if not all(math.isfinite(v) and abs(v) < 1e6 for v in floats):
            raise BitstreamError("corrupt bitstream: the scene's cameras or box are not finite")
        if not (self.focal > 0 and 0 <= self.near < self.far and all(self.halves > 0) and self.orbit_radius > 0):
            raise BitstreamError("corrupt bitstream: the scene's focal length, ray interval or box is empty")


@dataclass(frozen=True)
class Views:
    """Cameras to render: ``poses`` (N, 4, 4) camera-to-world (OpenGL: the camera looks down −z, y
    up), ``focal`` in pixels at ``width`` × ``height``."""

    poses: np.ndarray
    width: int
    height: int
    focal: float

    def __post_init__(self):
        poses = np.asarray(self.poses, dtype=np.float64)
        if poses.ndim != 3 or poses.shape[1:] != (4, 4) or not len(poses):
            raise InputError(f"camera poses are 4x4 matrices, not an array of shape {poses.shape}")
        if not np.isfinite(poses).all():
            raise InputError("the camera poses have NaN or infinite values")
        if not (1 <= self.width <= MAX_VIEW_SIDE and 1 <= self.height <= MAX_VIEW_SIDE):
            raise LimitError(f"view {self.width}x{self.height} is outside 1..{MAX_VIEW_SIDE} per side")
        if not (math.isfinite(self.focal) and self.focal > 0):
            raise InputError(f"the focal length must be positive, not {self.focal}")
        object.__setattr__(self, "poses", poses)

    def rays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Origins and unit directions ``(H·W, 3)`` of view ``index``, through pixel centres."""
        j, i = np.meshgrid(np.arange(self.height) + 0.5, np.arange(self.width) + 0.5, indexing="ij")
        camera = np.stack([(i - self.width / 2) / self.focal, -(j - self.height / 2) / self.focal,
                           -np.ones_like(i)], axis=-1).reshape(-1, 3)
        directions = camera @ self.poses[index, :3, :3].T
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        return np.broadcast_to(self.poses[index, :3, 3], directions.shape).copy(), directions

    def scaled(self, width: int, height: int) -> "Views":
        """The same cameras at another resolution (the focal length scales with the width)."""
        return Views(self.poses, width, height, self.focal * width / self.width)


def unpack_occupancy(data: bytes, side: int) -> np.ndarray:
    """Inverse of ``pack_occupancy``; refuses data that does not decompress to exactly the grid."""
    import zstandard

    expected = -(-side ** 3 // 8)
    try:  # streamed, reading at most one byte past the grid: a frame may declare any size
        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)) as reader:
            raw = reader.read(expected + 1)
    except zstandard.ZstdError as error:
        raise BitstreamError(f"corrupt bitstream: the occupancy grid does not decompress ({error})") from None
    if len(raw) != expected:
        raise BitstreamError(f"corrupt bitstream: the occupancy grid holds {len(raw)} bytes, not {expected}")
    return np.unpackbits(np.frombuffer(raw, dtype=np.uint8))[:side ** 3].astype(bool).reshape((side,) * 3)


class RayMarcher:
    """The normative scene renderer (FORMAT.md, *Scenes*): ``samples_per_ray`` points per ray at the
    centres of equal segments of [near, far]; points outside the box or in empty cells have no
    density; the others go through the network, whose outputs are density (softplus of the first)
    and colour (sigmoid of the rest); alpha compositing front to back on a white background. The
    encoder trains through a PyTorch twin of it (``encode.TrainingRayMarcher``, with jittered samples).

    Which samples are evaluated is found coarse to fine: runs of ``STRIDES[0]`` samples are tested at
    their middle against the occupancy grid grown by as many cells as a run's samples can lie from
    its middle (plus a margin), the runs that find an occupied cell within reach are split into
    runs of the next stride and tested likewise, and the last runs sample by sample. Most of a ray
    is empty space: the coarse passes skip it at a fraction of the cost, with the same samples found.
    """

    STRIDES = (27, 9, 3)  # samples per run of each pass, coarsest first; each divides the one before
    MAX_REACH = 8  # cells: a pass whose runs reach farther is skipped (too coarse to skip anything)
    OPAQUE = 8.0  # optical depth past which a ray adds nothing: transmittance below e^-8, < 0.09 of a level
    ROUND = 8  # samples per ray evaluated at a time

    def __init__(self, geometry: SceneGeometry, occupancy: np.ndarray):
        self.geometry, self.occupancy = geometry, occupancy.reshape(-1)
        self.centre = geometry.centre.astype(np.float32)
        self.halves = geometry.halves.astype(np.float32)
        cell = 2 * float(min(geometry.halves)) / geometry.grid_side  # a cell's smallest side, scene units
        self.passes = []  # (stride, reach, grown grid) of each pass kept
        for stride in self.STRIDES:
            # a run's samples lie within (stride − 1)/2 segments of its middle: reach covers that / 0.9
            reach = math.ceil((stride - 1) / 2 * geometry.step / (0.9 * cell))
            if reach <= self.MAX_REACH and (not self.passes or self.passes[-1][0] % stride == 0):
                self.passes.append((stride, reach, _grown(occupancy, reach)))

    def _positions(self, origins: np.ndarray, directions: np.ndarray, samples: np.ndarray) -> np.ndarray:
        """Box coordinates ``(R, K, 3)`` of samples ``(R, K)`` (indices along each ray)."""
        segments = samples.astype(np.float32) + np.float32(0.5)  # sample s at s + ½
        depths = np.float32(self.geometry.near) + segments * np.float32(self.geometry.step)
        return (origins[:, None] + depths[..., None] * directions[:, None] - self.centre) / self.halves

    def _occupied(self, positions: np.ndarray, grid: np.ndarray, pad: int) -> np.ndarray:
        """Whether each position's cell, in a ``grid`` of side + 2·``pad`` cells, is set."""
        side = self.geometry.grid_side + 2 * pad
        inside = np.ones(positions.shape[:-1], dtype=bool)
        flat = np.zeros(positions.shape[:-1], dtype=np.int32)  # the cell's index in the grid, x first
        for axis in range(3):
            cells = np.floor((positions[..., axis] + 1) / 2 * self.geometry.grid_side) + pad
            within = (cells >= 0) & (cells < side)  # false for NaN
            inside &= within
            flat = flat * side + np.where(within, cells, 0).astype(np.int32)
        return inside & grid[flat]

    def points(self, origins: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """The samples to evaluate: box coordinates ``(N, 3)`` and rays ``(N,)``, each ray's front to
        back (rows in order), and how many positions were tested. A ray's samples outside
        ``box_samples`` have no density (they are not tested)."""
        first, count = box_samples(self.geometry, origins, directions)
        stride = self.passes[0][0] if self.passes else 1
        runs = np.arange(-(-int(count.max(initial=0)) // stride), dtype=np.int64) * stride
        ray, start = (a.reshape(-1) for a in np.broadcast_arrays(np.arange(len(first))[:, None], runs))
        tested = 0
        with np.errstate(over="ignore", invalid="ignore"):  # a hostile box: positions beyond float32
            for run, reach, grown in self.passes:
                if run != stride:  # split the runs kept into runs of this pass
                    ray, start = np.repeat(ray, stride // run), (start[:, None] + np.arange(0, stride, run)).reshape(-1)
                    stride = run
                middles = self._positions(origins[ray], directions[ray], (first[ray] + start + (stride - 1) // 2)[:, None])
                keep = (start < count[ray]) & self._occupied(middles[:, 0], grown, reach)
                tested += len(ray)
                ray, start = ray[keep], start[keep]
            columns = start[:, None] + np.arange(stride)
            positions = self._positions(origins[ray], directions[ray], first[ray][:, None] + columns)
            active = (columns < count[ray][:, None]) & self._occupied(positions, self.occupancy, 0)
        tested += columns.size
        return positions[active], np.broadcast_to(ray[:, None], active.shape)[active], tested

    def composite(self, network: Network, positions: np.ndarray, ray: np.ndarray, rays: int) -> np.ndarray:
        """Colours ``(rays, 3)`` of rays whose evaluated samples are ``positions`` on ``ray`` (each
        ray's front to back), on white: Σ w·c + 1 − Σ w, summed as 1 + Σ w·(c − 1). A sample with
        more than ``OPAQUE`` optical depth in front of it adds nothing (it is not evaluated): the
        samples are evaluated ``ROUND`` per ray at a time, front to back, and a ray stops once it
        is that opaque. Optical depth is summed per ray in float64; the network runs in tiles of
        bounded activation memory whatever its width."""
        out = np.ones((rays, 3), dtype=np.float32)
        if not len(positions):
            return out
        tile = max(1, ACTIVATION_BUDGET_BYTES // (network.config.floats_per_point() * FLOAT_BYTES))
        counts = np.bincount(ray, minlength=rays)
        starts = np.cumsum(counts) - counts  # each ray's first sample
        going = np.flatnonzero(counts)  # the rays still to composite
        carried = np.zeros(rays)  # optical depth in front of the round, per ray
        for first in range(0, int(counts.max()), self.ROUND):
            going = going[(counts[going] > first) & (carried[going] <= self.OPAQUE)]
            if not len(going):
                break
            columns = first + np.arange(self.ROUND)
            valid = columns < counts[going][:, None]
            chosen = (starts[going][:, None] + columns)[valid]  # rays in order, each front to back
            on = ray[chosen]
            points = positions[chosen]
            outputs = np.concatenate([network.on_points(points[start:start + tile])
                                      for start in range(0, len(points), tile)])
            with np.errstate(over="ignore", invalid="ignore"):
                density = np.logaddexp(np.float32(0), outputs[:, 0])  # softplus
                colour = 1 / (1 + np.exp(-outputs[:, 1:4]))  # sigmoid
                # an opaque sample is opaque at any depth past 10^4: clamped, so that a hostile
                # file's infinite (or NaN) density cannot reach the other rays' running sums
                optical = np.minimum(np.nan_to_num(density * np.float32(self.geometry.step), nan=0.0), np.float32(1e4))
            per_ray = np.bincount(on, minlength=rays)
            running = np.cumsum(optical, dtype=np.float64)
            before = running - optical  # over all the round's samples so far: made per ray below
            firsts = np.cumsum(per_ray) - per_ray
            before += np.repeat(carried[per_ray > 0] - before[firsts[per_ray > 0]], per_ray[per_ray > 0])
            weights = np.where(before <= self.OPAQUE, (1 - np.exp(-optical)) * np.exp(-before).astype(np.float32), 0)
            for channel in range(3):
                out[:, channel] += np.bincount(on, weights=weights * (colour[:, channel] - 1), minlength=rays)
            carried += np.bincount(on, weights=optical, minlength=rays)
        return out


def _grown(occupancy: np.ndarray, reach: int) -> np.ndarray:
    """The occupancy grid padded by ``reach`` cells and grown by as many (the maximum over a
    (2·reach + 1)³ window), flattened."""
    grown = np.pad(occupancy, reach)
    for axis in range(3):  # one axis at a time; the padding keeps np.roll from wrapping occupied cells
        grown = np.logical_or.reduce([np.roll(grown, shift, axis) for shift in range(-reach, reach + 1)])
    return grown.reshape(-1)


@dataclass
class DecodedScene:
    """A decoded scene: its network, box and occupancy, rendering views on request at ``width`` ×
    ``height`` (the decode's size) by default."""

    network: Network
    geometry: SceneGeometry
    occupancy: np.ndarray
    limits: DecodeLimits
    width: int
    height: int

    def orbit(self, count: int) -> Views:
        """``count`` cameras around the scene (``orbit``), at the decode's size."""
        return orbit(self.geometry, count).scaled(self.width, self.height)

    def cameras(self, poses: np.ndarray, camera_angle_x: float | None = None) -> Views:
        """Views of ``poses`` at the decode's size, with the field of view ``camera_angle_x``
        (radians; default the encoded views')."""
        if camera_angle_x is None:
            focal = self.geometry.focal * self.width / self.geometry.width
        elif math.isfinite(camera_angle_x) and 0 < camera_angle_x < math.pi:
            focal = self.width / 2 / math.tan(camera_angle_x / 2)
        else:
            raise InputError(f"camera_angle_x {camera_angle_x} is not an angle in (0, π)")
        return Views(poses, self.width, self.height, focal)

    def render(self, views: Views, progress=None) -> np.ndarray:
        """``(N, H, W, 3)`` uint8 renders of ``views``, in chunks of rays spread over the render
        threads (``render.thread_pool``). Each view's work is checked against the limits (how many
        views to render is the caller's choice, how costly each one is the file's), counted as the
        occupancy grid says how many samples are evaluated."""
        marcher = RayMarcher(self.geometry, self.occupancy)
        config = self.network.config  # a ray sample has its own coordinate on every axis: a separable
        point_ops = config.point_ops() + config.in_features * config.axis_ops() + COMPOSITE_OPS  # layer's too
        chunk = rays_per_chunk(self.geometry)
        rays = views.height * views.width
        if (rays * self.geometry.samples_per_ray * SAMPLE_TEST_OPS).macs > self.limits.max_macs:
            raise self._over_budget(views)  # before the views' pixels are allocated
        if len(views.poses) * rays * 3 > self.limits.max_memory_bytes:
            raise LimitError(f"{len(views.poses)} views of {views.width}x{views.height} need "
                             f"{len(views.poses) * rays * 3 / 2**20:.0f} MB, over the limit of "
                             f"{self.limits.max_memory_bytes / 2**20:.0f} MB (raise it with --max-memory)")
        out = np.empty((len(views.poses), views.height, views.width, 3), dtype=np.uint8)
        with thread_pool() as pool:
            for index in range(len(views.poses)):
                origins, directions = (a.astype(np.float32) for a in views.rays(index))
                flat = out[index].reshape(-1, 3)
                budget = _Budget(self.limits.max_macs)

                def render_chunk(start: int) -> None:
                    rows = slice(start, start + chunk)
                    positions, ray, tested = marcher.points(origins[rows], directions[rows])
                    if not budget.spend((tested * SAMPLE_TEST_OPS).macs + len(ray) * point_ops.macs):
                        raise self._over_budget(views)
                    colours = marcher.composite(self.network, positions, ray, len(flat[rows]))
                    flat[rows] = np.round(np.clip(colours, 0, 1) * 255).astype(np.uint8)

                for _ in pool.map(render_chunk, range(0, len(origins), chunk)):
                    pass  # raises the first chunk's error
                if progress is not None:
                    progress(index + 1)
        return out

    def _over_budget(self, views: Views) -> LimitError:
        return LimitError(f"rendering a view of {views.width}x{views.height} needs more than "
                          f"{self.limits.max_macs:.3g} multiply-adds (raise it with --max-macs if you trust the "
                          "file and can wait)")


class _Budget:
    """Multiply-adds a view may still spend, drawn on by chunks rendered on several threads."""

    def __init__(self, macs: int):
        self.left, self._lock = macs, threading.Lock()

    def spend(self, macs: int) -> bool:
        """Draw ``macs``; False once the budget is overdrawn."""
        with self._lock:
            self.left -= macs
            return self.left >= 0


def box_samples(geometry: SceneGeometry, origins: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per ray, the first of its samples that may lie in the box and how many (one more each side
    than the box's interval computed in floats says: the cell test decides)."""
    low, high = geometry.centre - geometry.halves, geometry.centre + geometry.halves
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inverse = 1 / np.where(np.abs(directions) < 1e-12, 1e-12, directions).astype(np.float64)
        a, b = (low - origins) * inverse, (high - origins) * inverse
        enter = np.maximum(np.nan_to_num(np.minimum(a, b).max(axis=1), nan=np.inf), geometry.near)
        leave = np.minimum(np.nan_to_num(np.maximum(a, b).min(axis=1), nan=-np.inf), geometry.far)
        first = np.clip(np.floor((enter - geometry.near) / geometry.step - 0.5), 0, geometry.samples_per_ray)
        last = np.clip(np.ceil((leave - geometry.near) / geometry.step - 0.5), -1, geometry.samples_per_ray - 1)
    count = np.where(leave > enter, np.maximum(last - first + 1, 0), 0)
    return first.astype(np.int64), count.astype(np.int64)


def rays_per_chunk(geometry: SceneGeometry) -> int:
    return max(1, SAMPLE_CHUNK // geometry.samples_per_ray)


def orbit(geometry: SceneGeometry, count: int) -> Views:
    """``count`` cameras around the box's centre at the header's orbit, at the header's view size."""
    poses = orbit_poses(geometry.centre, geometry.orbit_radius, geometry.orbit_height, count)
    return Views(poses, geometry.width, geometry.height, geometry.focal)


def orbit_poses(centre: np.ndarray, radius: float, height: float, count: int) -> np.ndarray:
    """``(count, 4, 4)`` camera-to-world poses evenly around the vertical (z) axis through
    ``centre``, ``radius`` from it and ``height`` above it, each looking at ``centre``."""
    poses = []
    for angle in np.linspace(0, 2 * np.pi, count, endpoint=False):
        position = centre + np.array([radius * np.cos(angle), radius * np.sin(angle), height])
        back = position - centre
        back /= np.linalg.norm(back)
        right = np.cross([0.0, 0.0, 1.0], back)
        right = right / np.linalg.norm(right) if np.linalg.norm(right) > 1e-9 else np.array([1.0, 0, 0])
        up = np.cross(back, right)
        pose = np.eye(4)
        pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, up, back, position
        poses.append(pose)
    return np.array(poses)


class SceneType(SignalType):
    """Scenes: 3-D networks with four outputs (density and colour) rendered along camera rays,
    with the occupancy grid as side data."""

    kind = SignalKind.SCENE
    name = "scene"
    geometry_class = SceneGeometry
    carries_side_data = True

    def sides(self, geometry: SceneGeometry) -> tuple[int, int]:
        return (geometry.height, geometry.width)

    def channels(self, geometry: SceneGeometry) -> int:
        return 4

    def check_model(self, geometry: SceneGeometry, config: ModelConfig) -> None:
        if config.in_features != 3 or config.out_features != 4 or config.signal_shape() is not None:
            raise BitstreamError(f"corrupt bitstream: a {config.in_features}-D model with {config.out_features} "
                                 "outputs cannot render a scene")

    def side_data(self, geometry: SceneGeometry, data: bytes) -> np.ndarray:
        return unpack_occupancy(data, geometry.grid_side)

    def output_shape(self, geometry: SceneGeometry, scale, size) -> tuple[int, int]:
        """Views of ``size`` = (width, height), or (N,) for N along the longer side, or ``scale``
        times the encoded views."""

        if size is not None and len(size) == 1:
            scale, size = size[0] / max(geometry.width, geometry.height), None
        width, height = output_size(geometry, scale, size)
        if max(width, height) > MAX_VIEW_SIDE:
            raise LimitError(f"views of {width}x{height} are larger than {MAX_VIEW_SIDE} per side")
        return (height, width)

    def render_plan(self, config: ModelConfig, geometry: SceneGeometry, shape: tuple[int, ...]) -> RenderPlan:
        """One view's ray sampling and the decode of the weights; the network's work on the samples
        in occupied cells is counted as views are rendered (``DecodedScene.render``)."""
        height, width = shape
        rays = height * width
        chunk = min(rays_per_chunk(geometry), rays)
        in_flight = render_threads() * (chunk * geometry.samples_per_ray * SAMPLE_BYTES + ACTIVATION_BUDGET_BYTES)
        memory = rays * 3 + in_flight + 3 * config.parameter_count() * FLOAT_BYTES + geometry.grid_side ** 3
        return RenderPlan(shape, (chunk,), config.decode_ops() +
                          rays * geometry.samples_per_ray * SAMPLE_TEST_OPS, memory)

    def render(self, network: Network, geometry: SceneGeometry, plan: RenderPlan,
               limits: DecodeLimits = DecodeLimits(), side_data=None) -> "DecodedScene":
        height, width = plan.shape
        return DecodedScene(network, geometry, side_data, limits, width, height)


SCENE = SceneType()
