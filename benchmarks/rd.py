"""Rate-distortion benchmark: inrcodec beside JPEG, WebP, JPEG 2000 and AVIF, measured in one run.

    python -m benchmarks.rd --quick     # 2 Kodak crops (112×112), every model at levels 2, 4, 6,
                                        # 400-step fits: ≤ 10 min on 2 CPU cores
    python -m benchmarks.rd --standard  # DESIGN §8: the fixed 8-image Kodak subset as 256² centre
                                        # crops, the latent model at every level, default fits; then
                                        # the full-size set kodim03, 05, 13, 23 (rd_standard_full)
    python -m benchmarks.rd --standard --tag v11   # the same into rd_standard_v11*, rd_standard_full_v11*
    python -m benchmarks.rd --full      # all 24 Kodak images at full size (hours on 2 cores)

Every codec codes the same images in the same run; rates are file sizes. inrcodec's encodes run in
one single-threaded worker per core; their rows are appended to the CSV as they finish, so an
interrupted run resumes where it stopped (``--fresh`` starts over). Writes to benchmarks/results/:
rd_<mode>.csv (one row per image × codec × setting), rd_<mode>_<codec>.json (averaged curves in
CompressAI's layout), rd_<mode>.png (the plot: measured curves solid, published anchors dashed) and
rd_<mode>.md (the summary table with BD-rates, for RESULTS.md); full-size encodes also keep their
bitstreams in files/ (files/<tag>/ with ``--tag``, which also names every result file of the run so
that no earlier result is overwritten).
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
from inrcodec.presets import QUALITY_LEVELS
from inrcodec.signals.image.presets import DEFAULT_STEPS
from inrcodec.tools.reference_codecs import CODECS, compress, settings

from .anchors import published_curves
from .bdrate import bd_rate, monotone_curve
from .common import RESULTS, SHARED_DATA, median_seconds, run_description, run_in_workers

QUICK_IMAGES = ("kodim05", "kodim23")  # a detailed and a smooth picture
QUICK_CROP, QUICK_STEPS, QUICK_LEVELS = 112, 400, (2, 4, 6)
STANDARD_IMAGES = ("kodim01", "kodim03", "kodim05", "kodim08", "kodim13", "kodim15", "kodim20", "kodim23")
STANDARD_CROP = 256
FULL_SIZE_IMAGES = ("kodim03", "kodim05", "kodim13", "kodim23")  # the full-size set, after the crops
FILES = RESULTS / "files"  # the bitstreams of full-size encodes
COLUMNS = ("image", "codec", "setting", "bytes", "bpp", "psnr", "ssim", "encode_s", "decode_s")


def load(folder: Path, name: str, crop: int | None) -> np.ndarray:
    pixels = np.asarray(Image.open(folder / f"{name}.png").convert("RGB"))
    if crop:
        top, left = (pixels.shape[0] - crop) // 2, (pixels.shape[1] - crop) // 2
        pixels = np.ascontiguousarray(pixels[top:top + crop, left:left + crop])
    return pixels


def measure_inrcodec(job) -> dict:
    """One encode in a worker: (folder, image, crop, model, level, steps, device) -> a CSV row."""
    folder, name, crop, model, level, steps, device, files = job
    pixels = load(Path(folder), name, crop)
    result = inrcodec.encode(pixels, quality=level, model=model, iterations=steps, device=device)
    if crop is None:  # full-size files are kept: real files to time decoders on (issue: speed)
        Path(files).mkdir(parents=True, exist_ok=True)
        (Path(files) / f"{name}_{model}_q{level}.inr").write_bytes(result.data)
    decode_s = median_seconds(lambda: inrcodec.decode_image(result.data, device=device))
    return dict(image=name, codec=f"inrcodec-{model}", setting=level, bytes=result.bytes, bpp=result.bpp,
                psnr=result.psnr, ssim=result.ssim, encode_s=result.seconds, decode_s=decode_s)


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


def per_image_bd(rows) -> list[str]:
    """BD-rate of every inrcodec model against each classic codec on each image alone (the averaged
    curves above can hide an image where the order flips), and their mean."""
    curves = defaultdict(lambda: defaultdict(lambda: ([], [])))
    for row in rows:
        bpp, quality = curves[row["image"]][row["codec"]]
        bpp.append(row["bpp"])
        quality.append(row["psnr"])
    classic = sorted({r["codec"] for r in rows if not r["codec"].startswith("inrcodec")}, key=CODECS.index)
    lines = []
    for model in sorted({r["codec"] for r in rows if r["codec"].startswith("inrcodec")}):
        lines += [f"| {model}: BD-rate per image against → | " + " | ".join(classic) + " |",
                  "|---|" + "---|" * len(classic)]
        table = {image: [bd_rate(*by_codec[codec], *by_codec[model]) for codec in classic]
                 for image, by_codec in sorted(curves.items()) if model in by_codec}
        for image, values in table.items():
            lines.append(f"| {image} | " + " | ".join(_percent(v) for v in values) + " |")
        means = [_finite_mean([values[i] for values in table.values()]) for i in range(len(classic))]
        lines += ["| mean | " + " | ".join(_percent(v) for v in means) + " |", ""]
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


def _finite_mean(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else math.nan


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


def run(prefix: str, folder: Path, names: list[str], crop: int | None, models: list[str], levels: list[int],
        steps: int, codecs: list[str], device: str, workers: int | None, description: str, fresh: bool,
        tag: str | None = None) -> None:
    """Measure, then write the CSV, JSON curves, plot and Markdown summary of one set of images."""
    prefix = f"{prefix}_{tag}" if tag else prefix
    files = FILES / tag if tag else FILES
    started = time.perf_counter()
    path = RESULTS / f"{prefix}.csv"
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = [] if fresh or not path.exists() else [_typed(row) for row in csv.DictReader(open(path))]
    rows = [r for r in rows if r["image"] in names and (r["codec"] in codecs or r["codec"][9:] in models)]
    done = {(r["image"], r["codec"], r["setting"]) for r in rows}
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        handle.flush()

        def keep(_job, row):
            rows.append(row)
            writer.writerow(row)
            handle.flush()
            print(f"{row['image']} {row['codec']} {row['setting']}: {row['bpp']:.3f} bpp, {row['psnr']:.2f} dB, "
                  f"{row['encode_s']:.1f} s", file=sys.stderr, flush=True)

        for name in names:
            pixels = load(folder, name, crop)
            for codec in codecs:
                for row in measure_classic(name, pixels, codec):
                    if (name, codec, row["setting"]) not in done:
                        keep(None, row)
        jobs = [(str(folder), name, crop, model, level, steps, device, str(files)) for model in models for level in levels
                for name in names if (name, f"inrcodec-{model}", level) not in done]
        run_in_workers(measure_inrcodec, jobs, workers, on_result=keep)

    curves = average_curves(rows)
    for codec, curve in curves.items():
        (RESULTS / f"{prefix}_{codec}.json").write_text(json.dumps(curve, indent=1))
    anchors = published_curves()
    what = (f"{len(names)} Kodak images" + (f", {crop}×{crop} centre crops" if crop else ", full size")
            + f", {steps} steps per encode")
    plot(curves, anchors, RESULTS / f"{prefix}.png", f"inrcodec vs classic codecs: {what}")
    summary = [f"Run: {description}; {what}; images {', '.join(names)}; "
               f"{time.perf_counter() - started:.0f} s in all (this invocation).", "",
               *psnr_at_rates(curves), "",
               *bd_table(curves, anchors), "",
               *per_image_bd(rows),
               "\\* published curves on all 24 full-size Kodak images: indicative only unless this "
               "run is --full on all 24.", "", *averaged_points(curves)]
    (RESULTS / f"{prefix}.md").write_text("\n".join(summary) + "\n")
    print("\n".join(summary))


def _typed(row: dict) -> dict:
    out = dict(row)
    for key in ("bytes",):
        out[key] = int(out[key])
    for key in ("bpp", "psnr", "ssim", "encode_s", "decode_s"):
        out[key] = float(out[key]) if out[key] not in ("", "None") else None
    out["setting"] = int(out["setting"]) if out["codec"].startswith("inrcodec") else float(out["setting"])
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="crops and short fits, for every change (default)")
    mode.add_argument("--standard", action="store_true", help="DESIGN §8's standard protocol (an hour or two)")
    mode.add_argument("--full", action="store_true", help="full-size images, default fits")
    parser.add_argument("--folder", type=Path, default=SHARED_DATA / "kodak", help="folder of PNG images")
    parser.add_argument("--images", nargs="+", help="image names (file stems) in the folder")
    parser.add_argument("--models", nargs="+", choices=MODEL_NAMES,
                        help="inrcodec models [quick: all; standard: latent; full: latent]")
    parser.add_argument("--levels", nargs="+", type=int, help="quality levels [quick: 2 4 6; else all]")
    parser.add_argument("--full-levels", nargs="+", type=int,
                        help="--standard: levels of the full-size set [default: --levels]")
    parser.add_argument("--tag", help="suffix of every result file of this run (keeps earlier results)")
    parser.add_argument("--sets", nargs="+", choices=("crops", "full"), default=["crops", "full"],
                        help="--standard: which sets to run, in this order [default: crops full]")
    parser.add_argument("--iters", type=int, help="optimizer steps per encode")
    parser.add_argument("--codecs", nargs="+", default=list(CODECS), choices=CODECS)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, help="encoding processes, one thread each [default: one per core]")
    parser.add_argument("--fresh", action="store_true", help="ignore the rows of an earlier run")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        sys.exit(f"{args.folder} not found: the benchmark reads Kodak from ../shared/data beside the repo")
    command = ["python", "-m", "benchmarks.rd", *(argv if argv is not None else sys.argv[1:])]
    description = run_description(command)  # before the run: the code that is measured
    common = dict(codecs=args.codecs, device=args.device, workers=args.workers, description=description,
                  fresh=args.fresh, tag=args.tag)
    if args.standard:
        models, levels = args.models or ["latent"], args.levels or list(QUALITY_LEVELS)
        steps = args.iters or DEFAULT_STEPS
        for which in args.sets:
            if which == "crops":
                run("rd_standard", args.folder, args.images or list(STANDARD_IMAGES), STANDARD_CROP, models, levels,
                    steps, **common)
            else:
                run("rd_standard_full", args.folder, list(FULL_SIZE_IMAGES), None, models,
                    args.full_levels or levels, steps, **common)
    elif args.full:
        run("rd_full", args.folder, args.images or [p.stem for p in sorted(args.folder.glob("*.png"))], None,
            args.models or ["latent"], args.levels or list(QUALITY_LEVELS), args.iters or DEFAULT_STEPS, **common)
    else:
        run("rd_quick", args.folder, args.images or list(QUICK_IMAGES), QUICK_CROP, args.models or list(MODEL_NAMES),
            args.levels or list(QUICK_LEVELS), args.iters or QUICK_STEPS, **common)


if __name__ == "__main__":
    main()
