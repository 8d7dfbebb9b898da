"""Shapes: inrcodec's occupancy networks against mesh and grid codecs, in bytes, measured in one run.

For bunny, armadillo and dragon (``../shared/data/meshes``): bytes, IoU at 128³ and 256³ against the
source's winding-number occupancy, exact point-to-surface Chamfer distance (points sampled on one
surface, distances to the other mesh exactly — both ways, averaged; in the normalized frame where the
shape's longest side is 1.8), encode and decode seconds. Codecs:

- inrcodec with SL²A and the SIREN and FINER baselines at the same levels (same parameter budget);
- Draco (DracoPy, compression level 10) at quantization 8, 10 and 12 bits;
- decimation (fast-simplification) to a few face budgets, then Draco at 8 bits;
- the occupancy grid at 64³, 128³, 256³, bit-packed and zstd-compressed (level 19), upsampled by
  nearest neighbour for IoU at finer grids.

    python -m benchmarks.shapes                       # every shape: SL²A at levels 2 4 5 6, SIREN and
                                                      # FINER at level 5, and every classic codec
    python -m benchmarks.shapes --shapes bunny --levels 5 --baselines

One worker per core; rows are appended to ``results/shapes.csv`` as they come (a rerun skips rows
already there unless ``--fresh``), then the table, the RD plot and the pictures are written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from inrcodec.signals.volume.io import sample_surface, triangle_areas
from inrcodec.signals.volume.encode import iou

from .common import RESULTS, SHARED_DATA, append_csv_rows, read_csv_rows, run_description, run_in_workers

SHAPES = {"bunny": "bunny/bun_zipper.ply", "armadillo": "armadillo/armadillo_50k_edgebreaker.obj",
          "dragon": "dragon/dragon_50k_euclid.ply"}
COLUMNS = ("shape", "codec", "setting", "bytes", "iou_128", "iou_256", "chamfer", "encode_s", "decode_s")
CSV = RESULTS / "shapes.csv"
DRACO_BITS = (8, 10, 12)
DECIMATION_FACES = (2000, 4000, 8000, 16000)
GRID_SIDES = (64, 128, 256)
CHAMFER_POINTS = 100_000
TRUSTED_MACS = 1 << 43  # our own files: decode them even where a baseline's logits settle slowly (SIREN)


def mesh_path(shape: str) -> Path:
    path = SHARED_DATA / "meshes" / SHAPES[shape]
    if not path.is_file():
        sys.exit(f"{path} not found: the benchmarks read the meshes from ../shared/data beside the repo")
    return path


class Reference:
    """A shape's source in the normalized frame, and its winding-number occupancy at 128³ and 256³."""

    def __init__(self, shape: str):
        import trimesh

        from inrcodec.signals.volume.io import load_shape

        path = mesh_path(shape)
        self.signal = load_shape(path)
        mesh = trimesh.load(path, force="mesh", process=False)
        self.vertices = (np.asarray(mesh.vertices, dtype=np.float64) - self.signal.geometry.offsets) / \
            self.signal.geometry.halves
        self.faces = np.asarray(mesh.faces, dtype=np.int64)
        self.occupancy = {side: self.signal.occupancy((side,) * 3) for side in (128, 256)}

    def occupancy_of(self, vertices: np.ndarray, faces: np.ndarray, side: int) -> np.ndarray:
        """Winding-number occupancy of another mesh (in the normalized frame) on the side³ grid."""
        from inrcodec.signals.volume.io import mesh_inside
        from inrcodec.signals.volume.io import VolumeSignal

        return VolumeSignal(self.signal.geometry, mesh_inside(vertices, faces), None).occupancy((side,) * 3)

    def chamfer(self, vertices: np.ndarray, faces: np.ndarray) -> float:
        import igl

        if not len(faces):
            return float("nan")
        rng = np.random.default_rng(0)
        one = _surface_samples(vertices[faces], rng)
        two = _surface_samples(self.vertices[self.faces], rng)
        to_source = igl.point_mesh_squared_distance(one, self.vertices, self.faces)[0]
        to_decoded = igl.point_mesh_squared_distance(two, vertices, faces)[0]
        return float((np.sqrt(to_source).mean() + np.sqrt(to_decoded).mean()) / 2)


def _surface_samples(triangles: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return sample_surface(triangles, triangle_areas(triangles), CHAMFER_POINTS, rng)


def run_ours(job) -> dict:
    """Encode with inrcodec, decode at 128³ and 256³, measure."""
    import inrcodec

    shape, model, level, steps = job
    reference = Reference(shape)
    start = time.perf_counter()
    result = inrcodec.encode_volume(mesh_path(shape), quality=level, model=model, iterations=steps, device="cpu")
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    fine = inrcodec.decode_volume(result.data, size=256, max_macs=TRUSTED_MACS)
    decode_s = time.perf_counter() - start
    coarse = inrcodec.decode_volume(result.data, size=128, max_macs=TRUSTED_MACS)
    vertices, faces = fine.mesh()
    vertices = (vertices - reference.signal.geometry.offsets) / reference.signal.geometry.halves
    (RESULTS / "files" / f"{shape}_{model}_q{level}.inr").write_bytes(result.data)
    return dict(shape=shape, codec=f"inrcodec {model}", setting=f"q{level}", bytes=result.bytes,
                iou_128=iou(coarse.occupancy, reference.occupancy[128]),
                iou_256=iou(fine.occupancy, reference.occupancy[256]),
                chamfer=reference.chamfer(vertices, faces), encode_s=encode_s, decode_s=decode_s)


def run_classic(job) -> list[dict]:
    """Draco, decimation + Draco and zstd grids on one shape."""
    import DracoPy
    import fast_simplification
    import zstandard

    shape = job
    reference = Reference(shape)
    rows = []

    def draco_row(codec, setting, vertices, faces, bits):
        start = time.perf_counter()
        data = DracoPy.encode(vertices.astype(np.float32), faces.astype(np.uint32), quantization_bits=bits,
                              compression_level=10)
        encode_s = time.perf_counter() - start
        start = time.perf_counter()
        decoded = DracoPy.decode(data)
        decode_s = time.perf_counter() - start
        v, f = np.asarray(decoded.points, dtype=np.float64), np.asarray(decoded.faces, dtype=np.int64)
        rows.append(dict(shape=shape, codec=codec, setting=setting, bytes=len(data),
                         iou_128=iou(reference.occupancy_of(v, f, 128), reference.occupancy[128]),
                         iou_256=iou(reference.occupancy_of(v, f, 256), reference.occupancy[256]),
                         chamfer=reference.chamfer(v, f), encode_s=encode_s, decode_s=decode_s))

    for bits in DRACO_BITS:
        draco_row("draco", f"q{bits}", reference.vertices, reference.faces, bits)
    for faces in DECIMATION_FACES:
        reduction = 1 - faces / len(reference.faces)
        if reduction <= 0:
            continue
        start = time.perf_counter()
        v, f = fast_simplification.simplify(reference.vertices, reference.faces, target_reduction=reduction)
        simplify_s = time.perf_counter() - start
        draco_row("decimate + draco", f"{len(f)} faces q8", v, f, 8)
        rows[-1]["encode_s"] += simplify_s
    for side in GRID_SIDES:
        grid = reference.signal.occupancy((side,) * 3) if side not in reference.occupancy else reference.occupancy[side]
        start = time.perf_counter()
        data = zstandard.ZstdCompressor(level=19).compress(np.packbits(grid).tobytes())
        encode_s = time.perf_counter() - start
        start = time.perf_counter()
        decoded = np.unpackbits(np.frombuffer(zstandard.ZstdDecompressor().decompress(data), np.uint8))
        decoded = decoded[:side ** 3].reshape((side,) * 3).astype(bool)
        decode_s = time.perf_counter() - start
        rows.append(dict(shape=shape, codec="zstd grid", setting=f"{side}^3", bytes=len(data),
                         iou_128=iou(_resample(decoded, 128), reference.occupancy[128]),
                         iou_256=iou(_resample(decoded, 256), reference.occupancy[256]),
                         chamfer=float("nan"), encode_s=encode_s, decode_s=decode_s))
    return rows


def _resample(grid: np.ndarray, side: int) -> np.ndarray:
    """Nearest-neighbour resampling of a cubic grid of cell centres to side³."""
    index = np.floor((np.arange(side) + 0.5) * grid.shape[0] / side).astype(int)
    return grid[np.ix_(index, index, index)]


def read_rows() -> list[dict]:
    return read_csv_rows(CSV)


def append_rows(rows: list[dict]) -> None:
    append_csv_rows(CSV, COLUMNS, rows)


def write_report(command: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    rows = read_rows()
    shapes = [s for s in SHAPES if any(r["shape"] == s for r in rows)]
    lines = [f"Shapes, {run_description(command)}.", "",
             "| shape | codec | setting | bytes | IoU@128³ | IoU@256³ | Chamfer | encode s | decode s (256³) |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in sorted(rows, key=lambda r: (shapes.index(r["shape"]), r["codec"], int(r["bytes"]))):
        chamfer = "" if row["chamfer"] in ("", "nan") else f"{float(row['chamfer']):.5f}"
        lines.append(f"| {row['shape']} | {row['codec']} | {row['setting']} | {row['bytes']} | "
                     f"{float(row['iou_128']):.4f} | {float(row['iou_256']):.4f} | {chamfer} | "
                     f"{float(row['encode_s']):.1f} | {float(row['decode_s']):.2f} |")
    (RESULTS / "shapes.md").write_text("\n".join(lines) + "\n")
    figure, axes = plt.subplots(1, len(shapes), figsize=(5 * len(shapes), 4), squeeze=False)
    for axis, shape in zip(axes[0], shapes):
        codecs = sorted({r["codec"] for r in rows if r["shape"] == shape})
        for codec in codecs:
            points = sorted((int(r["bytes"]) / 1024, float(r["iou_256"])) for r in rows
                            if r["shape"] == shape and r["codec"] == codec)
            axis.plot(*zip(*points), marker="o", label=codec)
        axis.axvline(16, color="grey", linestyle=":", linewidth=1)
        axis.set_xscale("log")
        axis.xaxis.set_major_locator(matplotlib.ticker.FixedLocator([1, 2, 4, 8, 16, 32, 64, 128]))
        axis.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:g}"))
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.set_title(shape)
        axis.set_xlabel("KB")
        axis.set_ylabel("IoU at 256³")
        axis.set_ylim(0.9, 1.0)
        axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(RESULTS / "shapes.png", dpi=110)
    print((RESULTS / "shapes.md").read_text())


def depth_picture(occupancy: np.ndarray) -> np.ndarray:
    """A shaded view of an occupancy grid looking down −y (x right, z up): the first occupied
    sample along each ray, lit by the depth map's slope. Enough to see what a codec kept."""
    first = np.where(occupancy.any(axis=1), occupancy.argmax(axis=1), occupancy.shape[1]).astype(np.float64)
    depth = first.T[::-1]  # rows: z from top, columns: x
    dz, dx = np.gradient(np.where(depth < occupancy.shape[1], depth, np.nan))
    shade = np.clip(0.75 - 0.35 * dx - 0.35 * dz, 0.1, 1.0)
    return (np.nan_to_num(shade, nan=1.0) * 255).astype(np.uint8)


def write_pictures(shape: str, label: str) -> None:
    """Source (winding numbers) beside the decoded occupancy of ``label``'s file, both at 256³."""
    from PIL import Image

    import inrcodec

    coded = RESULTS / "files" / f"{shape}_{label}.inr"
    if not coded.exists():
        return
    decoded = inrcodec.decode_volume(coded.read_bytes(), size=256, max_macs=TRUSTED_MACS).occupancy
    source = Reference(shape).occupancy[256]
    picture = np.concatenate([depth_picture(source), np.full((256, 8), 255, np.uint8), depth_picture(decoded)], axis=1)
    Image.fromarray(picture).save(RESULTS / f"shapes_{shape}_{label}.png")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--levels", nargs="+", type=int, default=[2, 4, 5, 6], help="SL²A's levels")
    parser.add_argument("--baselines", nargs="*", default=["siren", "finer"])
    parser.add_argument("--baseline-levels", nargs="+", type=int, default=[5])
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps (default: the codec's)")
    parser.add_argument("--no-classic", action="store_true", help="skip Draco, decimation and grids")
    parser.add_argument("--fresh", action="store_true", help="forget earlier rows of results/shapes.csv")
    parser.add_argument("--picture", default="sl2a_q5", help="the decoded file shown beside each source")
    args = parser.parse_args(argv)
    (RESULTS / "files").mkdir(parents=True, exist_ok=True)
    if args.fresh and CSV.exists():
        CSV.unlink()
    done = {(r["shape"], r["codec"], r["setting"]) for r in read_rows()}
    ours = [(shape, model, level, args.steps) for shape in args.shapes
            for model, levels in [("sl2a", args.levels)] + [(name, args.baseline_levels) for name in args.baselines]
            for level in levels if (shape, f"inrcodec {model}", f"q{level}") not in done]
    classic = [] if args.no_classic else [shape for shape in args.shapes
                                          if not any(key[0] == shape and key[1] == "draco" for key in done)]
    jobs = [("classic", shape) for shape in classic] + [("ours", job) for job in ours]
    run_in_workers(_run_job, jobs, on_result=lambda _job, rows: append_rows(rows))
    for shape in args.shapes:
        write_pictures(shape, args.picture)
    write_report(["python", "-m", "benchmarks.shapes", *(argv if argv is not None else sys.argv[1:])])


def _run_job(job) -> list[dict]:
    what, detail = job
    return run_classic(detail) if what == "classic" else [run_ours(detail)]


if __name__ == "__main__":
    main()
