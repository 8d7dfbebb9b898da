"""Scenes: inrcodec's radiance fields on held-out views, beside other backbones and the floors.

On lego (``../shared/data/nerf``) at 100 pixels (``lego_100px.npz``) or at 400 or 800 (the Blender
folder, resized as the encoder reads it) with every 10th view held out: bytes, held-out PSNR (mean
over views) and SSIM, encode (fit + coding) and render seconds, for

- inrcodec's 3-D latent-grid model at the given levels (``--latent-levels``);
- inrcodec with the SL²A backbone at the given levels, and SIREN and ReLU + P.E. backbones of the
  same parameter count (same level), all through the same codec path and bitstream;
- the floors: a white picture, the per-pixel mean of the training views, and the training view whose
  camera is nearest the held-out one.

The paper's setting is 400 pixels (SL²A 27.52 dB uncompressed, GPU-trained); published compressed
radiance fields are at 800.

    python -m benchmarks.scenes                          # 100 px: SL²A at levels 3 4 5, SIREN and ReLU+P.E. at 4
    python -m benchmarks.scenes --levels 4 --baselines
    python -m benchmarks.scenes --scenes lego_400px --latent-levels 4 --levels --baselines --alone

One worker per core; rows are appended to ``results/scenes.csv`` as they come (a rerun skips rows
already there unless ``--fresh``), then the table and the held-out views beside the truth.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from .common import RESULTS, SHARED_DATA, append_csv_rows, read_csv_rows, run_description, run_in_workers

COLUMNS = ("scene", "codec", "setting", "bytes", "psnr", "ssim", "encode_s", "render_s")
CSV = RESULTS / "scenes.csv"
HOLDOUT = 10
SCENES = {"lego_100px": ("nerf/lego_100px.npz", None), "lego_400px": ("nerf/lego", 400),
          "lego_800px": ("nerf/lego", 800)}  # source, training size (None: the source's)


def scene_path(scene: str):
    path = SHARED_DATA / SCENES[scene][0]
    if not path.exists():
        sys.exit(f"{path} not found: the benchmarks read the scenes from ../shared/data beside the repo")
    return path


def held_out_truth(scene: str):
    from inrcodec.signals.scene.io import load_scene
    from inrcodec.signals.scene.io import to_pixels

    signal = load_scene(scene_path(scene), size=SCENES[scene][1], holdout=HOLDOUT)
    return signal, to_pixels(signal.held_out_images)


def scores(truth: np.ndarray, rendered: np.ndarray) -> tuple[float, float]:
    from inrcodec.metrics import psnr, ssim

    return (float(np.mean([psnr(t, r) for t, r in zip(truth, rendered)])),
            float(np.mean([ssim(t, r) for t, r in zip(truth, rendered)])))


def run_ours(job) -> dict:
    """Encode with inrcodec (held-out views kept out), decode, render the held-out views, measure."""
    import inrcodec

    scene, model, level, steps, threads = job
    signal, truth = held_out_truth(scene)
    start = time.perf_counter()
    result = inrcodec.encode_scene(scene_path(scene), quality=level, model=model, holdout=HOLDOUT,
                                   size=SCENES[scene][1], iterations=steps, device="cpu", threads=threads)
    encode_s = time.perf_counter() - start
    start = time.perf_counter()
    decoded = inrcodec.decode_scene(result.data)
    rendered = decoded.render(decoded.cameras(signal.held_out.poses))
    render_s = time.perf_counter() - start
    label = f"{scene}_{model}_q{level}"
    (RESULTS / "files" / f"{label}.inr").write_bytes(result.data)
    np.save(RESULTS / "files" / f"{label}_held_out.npy", rendered)  # for the picture, not committed
    psnr, ssim = scores(truth, rendered)
    return dict(scene=scene, codec=f"inrcodec {model}", setting=f"q{level}", bytes=result.bytes, psnr=psnr,
                ssim=ssim, encode_s=encode_s, render_s=render_s)


def floors(scene: str) -> list[dict]:
    """White, the training views' per-pixel mean, and the nearest training view per held-out view."""
    signal, truth = held_out_truth(scene)
    from inrcodec.signals.scene.io import to_pixels

    training = to_pixels(signal.images)
    nearest = [int(np.argmin(np.linalg.norm(signal.views.poses[:, :3, 3] - pose[:3, 3], axis=1)))
               for pose in signal.held_out.poses]
    candidates = {"white": np.full_like(truth, 255),
                  "per-pixel mean": np.broadcast_to(to_pixels(signal.images.mean(axis=0)), truth.shape),
                  "nearest training view": training[nearest]}
    rows = []
    for name, guess in candidates.items():
        psnr, ssim = scores(truth, np.ascontiguousarray(guess))
        rows.append(dict(scene=scene, codec="floor", setting=name, bytes="", psnr=psnr, ssim=ssim,
                         encode_s="", render_s=""))
    return rows


def read_rows() -> list[dict]:
    return read_csv_rows(CSV)


def append_rows(rows: list[dict]) -> None:
    append_csv_rows(CSV, COLUMNS, rows)


def write_report(command: list[str]) -> None:
    rows = read_rows()
    lines = [f"Scenes, {run_description(command)}; {HOLDOUT - 1} of every {HOLDOUT} views trained on, "
             "the rest held out; each scene at its training size (100, 400 or 800 pixels).", "",
             "| scene | codec | setting | bytes | held-out PSNR dB | SSIM | encode s | render s (10 views) |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for row in sorted(rows, key=lambda r: (r["scene"], r["codec"] != "floor", r["codec"], int(r["bytes"] or 0))):
        lines.append(f"| {row['scene']} | {row['codec']} | {row['setting']} | {row['bytes']} | "
                     f"{_number(row['psnr'], 2)} | {_number(row['ssim'], 4)} | {_number(row['encode_s'], 0)} | "
                     f"{_number(row['render_s'], 1)} |")
    (RESULTS / "scenes.md").write_text("\n".join(lines) + "\n")
    print((RESULTS / "scenes.md").read_text())


def _number(value: str, digits: int) -> str:
    return "" if value == "" else f"{float(value):.{digits}f}"


def write_pictures(scene: str, labels: list[str], views: tuple[int, ...] = (0, 3, 6)) -> None:
    """Held-out views: the truth, then each label's render, side by side, one row per view."""
    from PIL import Image

    present = [label for label in labels if (RESULTS / "files" / f"{scene}_{label}_held_out.npy").exists()]
    if not present:
        return
    _, truth = held_out_truth(scene)
    columns = [truth] + [np.load(RESULTS / "files" / f"{scene}_{label}_held_out.npy") for label in present]
    gap = np.full((truth.shape[1], 4, 3), 255, np.uint8)
    rows = [np.concatenate([part for column in columns for part in (column[v], gap)][:-1], axis=1) for v in views]
    Image.fromarray(np.concatenate(rows, axis=0)).save(RESULTS / f"scenes_{scene}_held_out.png")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", nargs="+", default=list(SCENES), choices=list(SCENES))
    parser.add_argument("--latent-levels", nargs="*", type=int, default=[], help="the 3-D latent model's levels")
    parser.add_argument("--levels", nargs="*", type=int, default=[3, 4, 5], help="SL²A's levels")
    parser.add_argument("--baselines", nargs="*", default=["siren", "relu_pe"])
    parser.add_argument("--baseline-levels", nargs="+", type=int, default=[4])
    parser.add_argument("--steps", type=int, default=None, help="optimizer steps (default: the codec's)")
    parser.add_argument("--fresh", action="store_true", help="forget earlier rows of results/scenes.csv")
    parser.add_argument("--alone", action="store_true",
                        help="one encode at a time with a thread per core (the issue's timing; nothing else "
                             "may run meanwhile) instead of one single-threaded encode per core")
    parser.add_argument("--picture", nargs="+", default=["latent3d_q4", "sl2a_q4", "siren_q4", "relu_pe_q4"],
                        help="the files whose held-out views are shown beside the truth")
    args = parser.parse_args(argv)
    (RESULTS / "files").mkdir(parents=True, exist_ok=True)
    if args.fresh and CSV.exists():
        CSV.unlink()
    done = {(r["scene"], r["codec"], r["setting"]) for r in read_rows()}
    for scene in args.scenes:
        if not any(key[0] == scene and key[1] == "floor" for key in done):
            append_rows(floors(scene))
    threads = len(os.sched_getaffinity(0)) if args.alone else 1
    ours = [(scene, model, level, args.steps, threads) for scene in args.scenes
            for model, levels in [("latent3d", args.latent_levels), ("sl2a", args.levels)]
            + [(name, args.baseline_levels) for name in args.baselines]
            for level in levels if (scene, f"inrcodec {model}", f"q{level}") not in done]
    if args.alone:
        for job in ours:
            append_rows([run_ours(job)])
    else:
        run_in_workers(run_ours, ours, on_result=lambda _job, row: append_rows([row]))
    for scene in args.scenes:
        write_pictures(scene, args.picture)
    write_report(["python", "-m", "benchmarks.scenes", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()
