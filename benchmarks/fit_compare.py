"""How fast each model fits: PSNR of the float fit against optimizer steps and wall time, every
model at the same parameter count (that of SL²A at one quality level), on the same images.

    python -m benchmarks.fit_compare                     # 2 Kodak crops, 128², level 4, 1000 steps
    python -m benchmarks.fit_compare --crop 512 --steps 5000 --device cuda

Reproduces the paper's comparison (SL²A against FINER, SIREN, Gauss, WIRE, ReLU+P.E., and here
STAF and MFN too) on our data. PSNR after coding, against bpp, is the RD benchmark's job
(benchmarks/rd.py). Writes benchmarks/results/fit_compare.{csv,png,md}.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time

import torch

from inrcodec.train.fit import optimize, psnr_from_mse
from inrcodec.models import MODEL_NAMES, REGISTRY, build_model
from inrcodec.presets import float_fit_schedule
from inrcodec.signals.image.presets import batch_samples, model_config
from inrcodec.device import resolve_device
from inrcodec.signals.encoding import GridObjective
from inrcodec.signals.image.encode import image_target
from inrcodec.signals.image.io import load_image

from .common import RESULTS, kodak_image, run_description


def learning_curve(pixels, model: str, level: int, steps: int, device, seed: int = 0):
    """(steps done, seconds of fitting so far, full-image PSNR) at every progress refresh."""
    signal = load_image(pixels)
    geometry = signal.geometry
    config = model_config(model, level, (geometry.height, geometry.width), geometry.channels)
    torch.manual_seed(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    with torch.device(device):
        network = build_model(config)
    objective = GridObjective(image_target(signal, device), batch_samples(geometry.pixels), generator)
    fit_schedule = float_fit_schedule(steps, REGISTRY[model].learning_rate)
    points, clock = [], {"fitting": 0.0, "since": time.perf_counter()}

    def monitor(done: int) -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()
        clock["fitting"] += time.perf_counter() - clock["since"]
        points.append((done, clock["fitting"], psnr_from_mse(objective.distortion(network))))
        clock["since"] = time.perf_counter()  # evaluation time is not fitting time

    def loss(_step):
        mse = objective.loss(network)
        return mse, mse.detach()

    optimize(network.parameters(), loss, fit_schedule, label=model, progress=False, monitor=monitor)
    return config.parameter_count(), points


def plot(curves, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (by_step, by_time) = plt.subplots(1, 2, figsize=(12, 5))
    for model, points in curves.items():
        steps, seconds, quality = zip(*points)
        width = 2.5 if model == "sl2a" else 1.2
        by_step.plot(steps, quality, lw=width, label=model)
        by_time.plot(seconds, quality, lw=width, label=model)
    by_step.set_xlabel("optimizer steps")
    by_time.set_xlabel("seconds of fitting")
    for axes in (by_step, by_time):
        axes.set_ylabel("PSNR of the float fit (dB, mean over images)")
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", nargs="+", default=["kodim05", "kodim23"])
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--level", type=int, default=4, help="quality level whose SL²A size all match")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--models", nargs="+", default=list(MODEL_NAMES), choices=MODEL_NAMES)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    description = run_description(["python", "-m", "benchmarks.fit_compare", *(argv or sys.argv[1:])])

    rows, curves, sizes = [], {}, {}
    for model in args.models:
        per_image = []
        for name in args.images:
            sizes[model], points = learning_curve(kodak_image(name, args.crop), model, args.level,
                                                  args.steps, device)
            per_image.append(points)
            rows.extend(dict(image=name, model=model, steps=s, seconds=t, psnr=q) for s, t, q in points)
        curves[model] = [(s, sum(p[i][1] for p in per_image) / len(per_image),
                          sum(p[i][2] for p in per_image) / len(per_image))
                         for i, (s, _, _) in enumerate(per_image[0])]
        print(f"{model}: {curves[model][-1][2]:.2f} dB after {args.steps} steps, "
              f"{curves[model][-1][1]:.1f} s", file=sys.stderr, flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "fit_compare.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=("image", "model", "steps", "seconds", "psnr"))
        writer.writeheader()
        writer.writerows(rows)
    plot(curves, RESULTS / "fit_compare.png")
    quarter = max(0, len(next(iter(curves.values()))) // 4 - 1)
    lines = [f"Run: {description}; images {', '.join(args.images)} ({args.crop}² crops), "
             f"all at the parameter count of SL²A level {args.level}.", "",
             "| model | parameters | PSNR @ ¼ steps | PSNR @ all steps | fit seconds |", "|---|---|---|---|---|"]
    for model, points in sorted(curves.items(), key=lambda item: -item[1][-1][2]):
        lines.append(f"| {model} | {sizes[model]} | {points[quarter][2]:.2f} | {points[-1][2]:.2f} "
                     f"| {points[-1][1]:.1f} |")
    (RESULTS / "fit_compare.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
