"""inrcodec at every quality level on 256×256 Kodak centre crops, beside JPEG and WebP files of
about the same size measured in the same run (the image codec's acceptance table).

    python -m benchmarks.crops                      # kodim01, 05, 23, all levels, CPU
    python -m benchmarks.crops --images kodim23 --levels 1 3 --iters 300

One single-threaded worker per core (decode seconds are therefore measured beside another worker).
Writes benchmarks/results/crops.csv (rows as they come) and prints a Markdown table for RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import sys

import inrcodec
from inrcodec.metrics import bits_per_pixel, psnr, ssim
from inrcodec.presets import QUALITY_LEVELS
from inrcodec.signals.image.presets import DEFAULT_STEPS
from inrcodec.tools.reference_codecs import closest_in_size

from .common import RESULTS, kodak_image, median_seconds, run_description, run_in_workers

COLUMNS = ("image", "codec", "setting", "bytes", "bpp", "psnr", "ssim", "fitted_psnr", "encode_s", "decode_s")


def measure(job) -> list[dict]:
    """inrcodec at one level on one crop, and the JPEG and WebP files closest to it in size."""
    name, level, iterations, device, crop = job
    pixels = kodak_image(name, crop)
    result = inrcodec.encode(pixels, quality=level, iterations=iterations, device=device)
    decode_s = median_seconds(lambda: inrcodec.decode_image(result.data))
    rows = [dict(image=name, codec="inrcodec", setting=level, bytes=result.bytes, bpp=result.bpp,
                 psnr=result.psnr, ssim=result.ssim, fitted_psnr=result.fitted_psnr,
                 encode_s=result.seconds, decode_s=decode_s)]
    for codec in ("jpeg", "webp"):
        classic = closest_in_size(pixels, codec, result.bytes)
        rows.append(dict(image=name, codec=codec, setting=classic.setting, bytes=len(classic.data),
                         bpp=bits_per_pixel(len(classic.data), crop, crop),
                         psnr=psnr(pixels, classic.decoded), ssim=ssim(pixels, classic.decoded),
                         fitted_psnr="", encode_s=classic.encode_seconds, decode_s=classic.decode_seconds))
    return rows


def markdown(rows) -> str:
    lines = ["| image | q | inrcodec bpp | PSNR dB | fitted dB | SSIM | encode s | decode s "
             "| JPEG bpp | PSNR dB | SSIM | WebP bpp | PSNR dB | SSIM |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i in range(0, len(rows), 3):
        ours, jpeg, webp = rows[i:i + 3]
        lines.append(f"| {ours['image']} | {ours['setting']} | {ours['bpp']:.3f} | {ours['psnr']:.2f} "
                     f"| {ours['fitted_psnr']:.2f} | {ours['ssim']:.3f} | {ours['encode_s']:.1f} | {ours['decode_s']:.3f} "
                     f"| {jpeg['bpp']:.3f} | {jpeg['psnr']:.2f} | {jpeg['ssim']:.3f} "
                     f"| {webp['bpp']:.3f} | {webp['psnr']:.2f} | {webp['ssim']:.3f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", nargs="+", default=["kodim01", "kodim05", "kodim23"])
    parser.add_argument("--levels", nargs="+", type=int, default=list(QUALITY_LEVELS))
    parser.add_argument("--iters", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workers", type=int, help="processes, one thread each [default: one per core]")
    args = parser.parse_args(argv)
    description = run_description(["python", "-m", "benchmarks.crops", *(argv or sys.argv[1:])])
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "crops.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()

        def write(_job, rows):  # as each encode finishes, so an interrupted run keeps its rows
            writer.writerows(rows)
            handle.flush()
            print(" | ".join(f"{r['image']} {r['codec']} {r['bpp']:.3f} bpp {r['psnr']:.2f} dB" for r in rows),
                  file=sys.stderr, flush=True)

        jobs = [(name, level, args.iters, args.device, args.crop) for name in args.images for level in args.levels]
        results = run_in_workers(measure, jobs, args.workers, on_result=write)
    print(description)
    print(markdown([row for rows in results for row in rows]))


if __name__ == "__main__":
    main()
