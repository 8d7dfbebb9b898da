"""Reading shapes to code and writing decoded ones: meshes through trimesh (.ply .obj .off .stl),
occupancy or signed-distance grids as NumPy files (.npy), decoded volumes as meshes or grids.

A mesh is normalized as FORMAT.md says (bounding box centred, longest side 1.8 inside [-1, 1]³) and its
inside is decided by fast generalized winding numbers (libigl), which stay right on scans with holes.
A grid's cells cover [-1, 1] along each axis; integer or bool grids are occupancy (nonzero inside),
float grids signed distances (negative inside).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ...errors import InputError, LimitError
from ...render import cell_centres
from ..base import SignalKind
from .decode import DEFAULT_MESH_SIDE, MAX_VOLUME_SIDE, Volume, VolumeGeometry

MESH_SUFFIXES = (".ply", ".obj", ".off", ".stl")
GRID_SUFFIXES = (".npy",)
SHAPE_SUFFIXES = MESH_SUFFIXES + GRID_SUFFIXES
NORMALIZED_SIDE = 1.8  # the longest side of a mesh's bounding box in the network's [-1, 1]³
MAX_FACES = 1 << 24
MAX_GRID_SAMPLES = 1 << 30  # 1024³
COARSE_DISTANCE_NODES = 33  # per axis of the grid that bounds mesh distances from below (0.25 s on the armadillo)


@dataclass(frozen=True)
class VolumeSignal:
    """A shape to code: its geometry and, in normalized coordinates, an inside test and a way to
    draw points on (or next to) its surface. ``voxel`` is the spacing of the source's own grid in
    normalized units (0 for meshes), below which training points are not spread; ``distance`` is
    the unsigned distance to the surface where the source defines one exactly (meshes): exact up to
    its argument ``within``, ``within`` beyond."""

    geometry: VolumeGeometry
    inside: Callable[[np.ndarray], np.ndarray]  # (N, 3) float64 -> (N,) bool
    surface_points: Callable[[int, np.random.Generator], np.ndarray]  # count, rng -> (count, 3)
    voxel: float = 0.0
    distance: Callable[..., np.ndarray] | None = None  # (N, 3) float64, within -> (N,) float64, ≤ within
    kind = SignalKind.VOLUME

    def occupancy(self, sides: tuple[int, int, int]) -> np.ndarray:
        """The inside test at the cell centres of a grid of ``sides``, as a bool array."""
        axes = [cell_centres(n, np.float64) for n in sides]
        out = np.empty(sides, dtype=bool)
        y, z = np.meshgrid(axes[1], axes[2], indexing="ij")
        points = np.stack([np.zeros(y.size), y.ravel(), z.ravel()], axis=1)
        for i, x in enumerate(axes[0]):  # one slab at a time: bounded memory at any size
            points[:, 0] = x
            out[i] = self.inside(points).reshape(sides[1], sides[2])
        return out


def is_shape_path(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in SHAPE_SUFFIXES


def load_shape(source: str | os.PathLike | np.ndarray | tuple, side: int | None = None) -> VolumeSignal:
    """A mesh file, a ``.npy`` grid, an array grid or a ``(vertices, faces)`` pair, ready to code.
    ``side`` is the default decoding grid of a mesh (the longest side; default 128)."""
    if isinstance(source, np.ndarray):
        return grid_signal(source)
    if isinstance(source, tuple):
        return mesh_signal(*source, side=side)
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in GRID_SUFFIXES:
        try:
            grid = np.load(path, allow_pickle=False, mmap_mode="r")
        except (ValueError, OSError) as error:
            raise InputError(f"{path}: not a NumPy array file ({error})") from None
        return grid_signal(grid)
    if suffix not in MESH_SUFFIXES:
        raise InputError(f"{path}: a shape is {', '.join(SHAPE_SUFFIXES)}, not {suffix or 'a file without suffix'}")
    return mesh_signal(*_read_mesh(path), side=side)


def _read_mesh(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import trimesh

    try:
        loaded = trimesh.load(path, force="mesh", process=False)
    except Exception as error:  # trimesh raises whatever its parsers raise on a broken file
        raise InputError(f"{path}: not a mesh trimesh can read ({type(error).__name__}: {error})") from None
    vertices = np.asarray(getattr(loaded, "vertices", np.zeros((0, 3))), dtype=np.float64)
    faces = np.asarray(getattr(loaded, "faces", np.zeros((0, 3))), dtype=np.int64)
    return vertices, faces


def mesh_signal(vertices: np.ndarray, faces: np.ndarray, side: int | None = None) -> VolumeSignal:
    vertices = np.asarray(vertices, dtype=np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) == 0:
        raise InputError("the mesh has no triangles: a shape needs faces")
    if len(faces) > MAX_FACES:
        raise LimitError(f"the mesh has {len(faces)} faces, more than {MAX_FACES}")
    if vertices.ndim != 2 or vertices.shape[1] != 3 or faces.min() < 0 or faces.max() >= len(vertices):
        raise InputError("the mesh's faces refer to vertices it does not have")
    used = vertices[np.unique(faces)]
    if not np.isfinite(used).all():
        raise InputError("the mesh has NaN or infinite vertices")
    low, high = used.min(axis=0), used.max(axis=0)
    extent = float((high - low).max())
    if not extent > 0 or not np.isfinite(extent):
        raise InputError("the mesh's bounding box is degenerate (all its vertices coincide)")
    centre, half = (low + high) / 2, extent / NORMALIZED_SIDE
    side = DEFAULT_MESH_SIDE if side is None else side
    if not 1 <= side <= MAX_VOLUME_SIDE:
        raise InputError(f"grid side {side} is outside 1..{MAX_VOLUME_SIDE}")
    geometry = VolumeGeometry(side, side, side, *map(float, np.float32(centre)), *[float(np.float32(half))] * 3)
    # normalize with the header's float32 map, so that decoded meshes land exactly where it says
    normalized = (vertices - geometry.offsets) / geometry.halves
    triangles = normalized[faces]
    areas = triangle_areas(triangles)
    if not areas.sum() > 0:
        raise InputError("the mesh's triangles have no area")

    inside = mesh_inside(normalized, faces)

    def surface_points(count: int, rng: np.random.Generator) -> np.ndarray:
        return sample_surface(triangles, areas, count, rng)

    return VolumeSignal(geometry, inside, surface_points, distance=mesh_distance(normalized, faces))


def triangle_areas(triangles: np.ndarray) -> np.ndarray:
    """Areas of ``(F, 3, 3)`` triangles."""
    return np.linalg.norm(np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0]), axis=1) / 2


def sample_surface(triangles: np.ndarray, areas: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` points uniform over the area of ``(F, 3, 3)`` triangles whose areas are ``areas``."""
    chosen = triangles[rng.choice(len(triangles), count, p=areas / areas.sum())]
    u, v = rng.random((2, count, 1))
    flip = (u + v) > 1  # fold the unit square onto the triangle: uniform over its area
    u, v = np.where(flip, 1 - u, u), np.where(flip, 1 - v, v)
    return chosen[:, 0] + u * (chosen[:, 1] - chosen[:, 0]) + v * (chosen[:, 2] - chosen[:, 0])


def mesh_inside(vertices: np.ndarray, faces: np.ndarray):
    """The inside test of a mesh, for points in its own frame: generalized winding number > ½
    (libigl's fast approximation), right on meshes with holes where ray parity is not."""

    def inside(points: np.ndarray) -> np.ndarray:
        import igl

        winding = igl.fast_winding_number(vertices, faces, np.ascontiguousarray(points, dtype=np.float64))
        return np.asarray(winding) > 0.5

    return inside


def mesh_distance(vertices: np.ndarray, faces: np.ndarray):
    """Unsigned distance to a mesh's triangles, for points in its own frame (libigl), exact up to
    ``within`` and ``within`` beyond it. Points that a coarse grid of exact distances proves to be at
    least ``within`` away (distance is 1-Lipschitz: d(p) ≥ d(node) − |p − node|) are not queried —
    most of a uniform sample of the cube, where libigl's query is slowest: on the armadillo a pool's
    uniform half took 3.7 s, its near-surface half 1.5 s."""
    import igl

    def exact(points: np.ndarray) -> np.ndarray:
        squared = igl.point_mesh_squared_distance(np.ascontiguousarray(points, dtype=np.float64), vertices, faces)[0]
        return np.sqrt(np.asarray(squared))

    spacing = 2 / (COARSE_DISTANCE_NODES - 1)

    @functools.cache
    def coarse() -> np.ndarray:
        axis = np.linspace(-1, 1, COARSE_DISTANCE_NODES)
        nodes = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
        return exact(nodes).reshape((COARSE_DISTANCE_NODES,) * 3)

    def distance(points: np.ndarray, within: float = np.inf) -> np.ndarray:
        if not np.isfinite(within):
            return exact(points)
        nodes = np.clip(np.rint((points + 1) / spacing), 0, COARSE_DISTANCE_NODES - 1).astype(np.int64)
        bound = coarse()[tuple(nodes.T)] - np.linalg.norm(points - (nodes * spacing - 1), axis=1)
        result = np.full(len(points), float(within))
        near = bound < within
        result[near] = np.minimum(exact(points[near]), within)
        return result

    return distance


def grid_signal(grid: np.ndarray) -> VolumeSignal:
    """An occupancy (bool/integer, nonzero inside) or signed-distance (float, negative inside) grid."""
    if grid.ndim != 3:
        raise InputError(f"a volume grid has 3 axes, this array has {grid.ndim} (shape {grid.shape})")
    if min(grid.shape) < 2:
        raise InputError(f"the grid {'x'.join(map(str, grid.shape))} needs at least 2 samples per axis")
    if max(grid.shape) > MAX_VOLUME_SIDE or grid.size > MAX_GRID_SAMPLES:
        raise LimitError(f"the grid {'x'.join(map(str, grid.shape))} is larger than {MAX_GRID_SAMPLES} samples")
    if grid.dtype == bool or np.issubdtype(grid.dtype, np.integer):
        occupied = np.asarray(grid) != 0
    elif np.issubdtype(grid.dtype, np.floating):
        values = np.asarray(grid)
        if not np.isfinite(values).all():
            raise InputError("the distance grid has NaN or infinite values")
        occupied = values < 0
    else:
        raise InputError(f"a volume grid holds bools, integers or floats, not {grid.dtype}")
    if occupied.all() or not occupied.any():
        raise InputError("the grid is all inside or all outside: there is no surface to code")
    sides = occupied.shape
    geometry = VolumeGeometry(*sides, *[(n - 1) / 2 for n in sides], *[n / 2 for n in sides])
    # surface cells: occupied cells with an empty 6-neighbour (or the reverse)
    boundary = np.zeros(sides, dtype=bool)
    for axis in range(3):
        differs = np.diff(occupied, axis=axis)
        low = [slice(None)] * 3
        low[axis] = slice(0, -1)
        high = [slice(None)] * 3
        high[axis] = slice(1, None)
        boundary[tuple(low)] |= differs
        boundary[tuple(high)] |= differs
    cells = np.argwhere(boundary)
    centres = [cell_centres(n).astype(np.float64) for n in sides]
    voxel = 2 / max(sides)

    def inside(points: np.ndarray) -> np.ndarray:
        index = [np.clip(np.floor((points[:, a] + 1) / 2 * n).astype(np.int64), 0, n - 1) for a, n in enumerate(sides)]
        return occupied[tuple(index)]

    def surface_points(count: int, rng: np.random.Generator) -> np.ndarray:
        picked = cells[rng.integers(0, len(cells), count)]
        return np.stack([centres[a][picked[:, a]] for a in range(3)], axis=1)

    return VolumeSignal(geometry, inside, surface_points, voxel)


def save_volume(volume: Volume, path: str | os.PathLike, format: str | None = None) -> None:
    """Write a decoded volume: ``npy`` occupancy (bool, x-y-z order) or a mesh (``ply``, ``obj``,
    ``off``, ``stl``) in the source's coordinates; ``format`` defaults to the path's suffix."""
    format = (format or Path(path).suffix.lstrip(".")).lower()
    if f".{format}" not in SHAPE_SUFFIXES:
        raise InputError(f"{path}: a decoded volume is written as {', '.join(SHAPE_SUFFIXES)}")
    if format == "npy":
        with open(path, "wb") as handle:
            np.save(handle, volume.occupancy)
        return
    import trimesh

    vertices, faces = volume.mesh()
    if not len(faces):
        raise InputError("the decoded volume holds no surface at this size: nothing to write as a mesh "
                         "(write .npy, or decode at a larger --size)")
    with open(path, "wb") as handle:
        trimesh.Trimesh(vertices, faces, process=False).export(handle, file_type=format)
