"""Rate-distortion benchmark: inrcodec beside JPEG, WebP, JPEG 2000 and AVIF, measured in one run.

    python -m benchmarks.rd --quick     # 2 Kodak crops (112×112), every model at levels 2, 4, 6,
                                        # 400-step fits: ≤ 10 min on 2 CPU cores
    python -m benchmarks.rd --full      # all 24 Kodak images at full size (for a GPU)
    python -m benchmarks.rd --full --images kodim01 kodim03 kodim05 kodim08 kodim13 kodim15 kodim20 kodim23

Every codec codes the same images in the same run; rates are file sizes. Writes to
benchmarks/results/: rd_<mode>.csv (one row per image × codec × setting), rd_<mode>_<codec>.json
(averaged curves in CompressAI's layout), rd_<mode>.png (the plot: measured curves solid, published
anchors dashed) and rd_<mode>.md (the summary table with BD-rates, for RESULTS.md).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

import inrcodec
from inrcodec.metrics import bits_per_pixel, psnr, ssim
from inrcodec.models import MODEL_NAMES
from inrcodec.presets import DEFAULT_STEPS, QUALITY_LEVELS
from inrcodec.reference_codecs import CODECS, compress, settings

from .anchors import published_curves
from .bdrate import bd_rate, monotone_curve
from .common import RESULTS, SHARED_DATA, median_seconds, run_description

QUICK_IMAGES = ("kodim05", "kodim23")  # a detailed and a smooth picture
QUICK_CROP, QUICK_STEPS, QUICK_LEVELS = 112, 400, (2, 4, 6)
COLUMNS = ("image", "codec", "setting", "bytes", "bpp", "psnr", "ssim", "encode_s", "decode_s")


def load(folder: Path, name: str, crop: int | None) -> np.ndarray:
    pixels = np.asarray(Image.open(folder / f"{name}.png").convert("RGB"))
    if crop:
        top, left = (pixels.shape[0] - crop) // 2, (pixels.shape[1] - crop) // 2
        pixels = np.ascontiguousarray(pixels[top:top + crop, left:left + crop])
    return pixels


def measure_inrcodec(name, pixels, model, levels, steps, device):
    for level in levels:
        result = inrcodec.encode(pixels, quality=level, model=model, iterations=steps, device=device)
        decode_s = median_seconds(lambda: inrcodec.decode_image(result.data, device=device))
        yield dict(image=name, codec=f"inrcodec-{model}", setting=level, bytes=result.bytes,
                   bpp=result.bpp, psnr=result.psnr, ssim=result.ssim, encode_s=result.seconds,
                   decode_s=decode_s)


def measure_classic(name, pixels, codec):
    height, width = pixels.shape[:2]
    for setting in settings(codec):
        result = compress(pixels, codec, setting)
        yield dict(image=name, codec=codec, setting=setting, bytes=len(result.data),
                   bpp=bits_per_pixel(len(result.data), width, height),
                   psnr=psnr(pixels, result.decoded), ssim=ssim(pixels, result.decoded),
                   encode_s=result.encode_seconds, decode_s=result.decode_seconds)


def average_curves(rows) -> dict[str, dict]:
    """codec -> averaged curve over images at each setting (CompressAI's convention)."""
    grouped = defaultdict(lambda: defaultdict(list))
    for row in rows:
        grouped[row["codec"]][row["setting"]].append(row)
    curves = {}
    for codec, by_setting in grouped.items():
        points = sorted((np.mean([r["bpp"] for r in rs]), np.mean([r["psnr"] for r in rs]),
                         np.mean([r["ssim"] for r in rs]), setting) for setting, rs in by_setting.items())
        curves[codec] = {"name": codec, "description": f"measured by benchmarks/rd.py ({codec})",
                         "results": {"bpp": [p[0] for p in points], "psnr-rgb": [p[1] for p in points],
                                     "ssim-rgb": [p[2] for p in points],
                                     "setting": [p[3] for p in points]}}
    return curves


def bd_table(curves, anchors) -> list[str]:
    """BD-rate of every inrcodec model against SL²A, each classic codec and each published curve."""
    ours = [c for c in curves if c.startswith("inrcodec")]
    references = {name: (c["results"]["bpp"], c["results"]["psnr-rgb"]) for name, c in curves.items()
                  if name == "inrcodec-sl2a" or not name.startswith("inrcodec")}
    references.update({f"{label} *": curve for label, curve in anchors.items()})
    lines = ["| BD-rate (PSNR) of … against → | " + " | ".join(references) + " |",
             "|---|" + "---|" * len(references)]
    for codec in ours:
        test = curves[codec]["results"]
        cells = [_percent(bd_rate(bpp, quality, test["bpp"], test["psnr-rgb"]))
                 for bpp, quality in references.values()]
        lines.append(f"| {codec} | " + " | ".join(cells) + " |")
    return lines


def psnr_at_rates(curves, rates=(0.25, 0.5, 1.0)) -> list[str]:
    """PSNR of each averaged curve at fixed rates (interpolated in log-rate; n/a outside it)."""
    lines = ["| codec | " + " | ".join(f"PSNR @ {r:g} bpp" for r in rates) + " |",
             "|---|" + "---|" * len(rates)]
    for codec, curve in curves.items():
        bpp, quality = monotone_curve(curve["results"]["bpp"], curve["results"]["psnr-rgb"])
        cells = [f"{np.interp(np.log(r), np.log(bpp), quality):.2f}" if bpp[0] <= r <= bpp[-1] else "n/a"
                 for r in rates]
        lines.append(f"| {codec} | " + " | ".join(cells) + " |")
    return lines


def _percent(value: float) -> str:
    return "n/a (no overlap)" if math.isnan(value) else f"{value:+.1f} %"


def plot(curves, anchors, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 6))
    for codec, curve in curves.items():
        results = curve["results"]
        width = 2.5 if codec.startswith("inrcodec") else 1.5
        axes.plot(results["bpp"], results["psnr-rgb"], "-o", lw=width, ms=3, label=f"{codec} (measured)")
    for label, (bpp, quality) in anchors.items():
        axes.plot(bpp, quality, "--", lw=1, label=f"{label} (published, full Kodak)")
    axes.set_xlim(0, 2.0)
    axes.set_xlabel("bits per pixel (file size)")
    axes.set_ylabel("PSNR-RGB (dB)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def averaged_points(curves) -> list[str]:
    lines = ["| codec | setting | bpp | PSNR-RGB dB | SSIM |", "|---|---|---|---|---|"]
    for codec, curve in curves.items():
        results = curve["results"]
        for setting, bpp, quality, similarity in zip(results["setting"], results["bpp"],
                                                     results["psnr-rgb"], results["ssim-rgb"]):
            lines.append(f"| {codec} | {setting:g} | {bpp:.3f} | {quality:.2f} | {similarity:.4f} |")
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="crops and short fits, for every change (default)")
    mode.add_argument("--full", action="store_true", help="full-size images, default fits (GPU)")
    parser.add_argument("--folder", type=Path, default=SHARED_DATA / "kodak", help="folder of PNG images")
    parser.add_argument("--images", nargs="+", help="image names (file stems) in the folder")
    parser.add_argument("--models", nargs="+", default=list(MODEL_NAMES), choices=MODEL_NAMES)
    parser.add_argument("--levels", nargs="+", type=int, help="quality levels [quick: 2 4 6; full: all]")
    parser.add_argument("--iters", type=int, help="optimizer steps per encode")
    parser.add_argument("--codecs", nargs="+", default=list(CODECS), choices=CODECS)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)

    full = args.full
    prefix = "rd_full" if full else "rd_quick"
    if not args.folder.is_dir():
        sys.exit(f"{args.folder} not found: the benchmark reads Kodak from ../shared/data beside the repo")
    names = args.images or ([p.stem for p in sorted(args.folder.glob("*.png"))] if full else list(QUICK_IMAGES))
    crop = None if full else QUICK_CROP
    steps = args.iters or (DEFAULT_STEPS if full else QUICK_STEPS)
    levels = args.levels or (list(QUALITY_LEVELS) if full else list(QUICK_LEVELS))

    command = ["python", "-m", "benchmarks.rd", *(argv if argv is not None else sys.argv[1:])]
    description = run_description(command)  # before the run: the code that is measured
    rows = []
    started = time.perf_counter()
    for name in names:
        pixels = load(args.folder, name, crop)
        for codec in args.codecs:
            rows.extend(measure_classic(name, pixels, codec))
        for model in args.models:
            for row in measure_inrcodec(name, pixels, model, levels, steps, args.device):
                rows.append(row)
                print(f"{name} {row['codec']} q{row['setting']}: {row['bpp']:.3f} bpp, "
                      f"{row['psnr']:.2f} dB, {row['encode_s']:.1f} s", file=sys.stderr, flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / f"{prefix}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    curves = average_curves(rows)
    for codec, curve in curves.items():
        (RESULTS / f"{prefix}_{codec}.json").write_text(json.dumps(curve, indent=1))
    anchors = published_curves()
    what = (f"{len(names)} Kodak images" + (f", {crop}×{crop} centre crops" if crop else ", full size")
            + f", {steps} steps per encode")
    plot(curves, anchors, RESULTS / f"{prefix}.png", f"inrcodec vs classic codecs: {what}")

    summary = [f"Run: {description}; {what}; images {', '.join(names)}; "
               f"{time.perf_counter() - started:.0f} s in all.", "",
               *psnr_at_rates(curves), "",
               *bd_table(curves, anchors), "",
               "\\* published curves on all 24 full-size Kodak images: indicative only unless this "
               "run is --full on all 24.", "", *averaged_points(curves)]
    (RESULTS / f"{prefix}.md").write_text("\n".join(summary) + "\n")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
