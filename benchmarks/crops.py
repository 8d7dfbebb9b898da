"""inrcodec at every quality level on 256×256 Kodak centre crops, beside JPEG and WebP files of
about the same size measured in the same run (the image codec's acceptance table).

    python -m benchmarks.crops                      # kodim01, 05, 23, all levels, CPU
    python -m benchmarks.crops --images kodim23 --levels 1 3 --iters 300

Writes benchmarks/results/crops.csv and prints a Markdown table for RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import sys

import inrcodec
from inrcodec.metrics import bits_per_pixel, psnr, ssim
from inrcodec.presets import DEFAULT_STEPS, QUALITY_LEVELS
from inrcodec.reference_codecs import closest_in_size

from .common import RESULTS, kodak_image, median_seconds, run_description

COLUMNS = ("image", "codec", "setting", "bytes", "bpp", "psnr", "ssim", "encode_s", "decode_s")


def measure(images, levels, iterations, device, crop):
    rows = []
    for name in images:
        pixels = kodak_image(name, crop)
        for level in levels:
            result = inrcodec.encode(pixels, quality=level, iterations=iterations, device=device)
            decode_s = median_seconds(lambda: inrcodec.decode_image(result.data))
            rows.append(dict(image=name, codec="inrcodec", setting=level, bytes=result.bytes,
                             bpp=result.bpp, psnr=result.psnr, ssim=result.ssim,
                             encode_s=result.seconds, decode_s=decode_s))
            for codec in ("jpeg", "webp"):
                classic = closest_in_size(pixels, codec, result.bytes)
                rows.append(dict(image=name, codec=codec, setting=classic.setting,
                                 bytes=len(classic.data),
                                 bpp=bits_per_pixel(len(classic.data), crop, crop),
                                 psnr=psnr(pixels, classic.decoded), ssim=ssim(pixels, classic.decoded),
                                 encode_s=classic.encode_seconds, decode_s=classic.decode_seconds))
            print(" | ".join(f"{r['codec']} {r['bpp']:.3f} bpp {r['psnr']:.2f} dB" for r in rows[-3:]),
                  file=sys.stderr, flush=True)
    return rows


def markdown(rows) -> str:
    lines = ["| image | q | inrcodec bpp | PSNR dB | SSIM | encode s | decode s "
             "| JPEG bpp | PSNR dB | SSIM | WebP bpp | PSNR dB | SSIM |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i in range(0, len(rows), 3):
        ours, jpeg, webp = rows[i:i + 3]
        lines.append(f"| {ours['image']} | {ours['setting']} | {ours['bpp']:.3f} | {ours['psnr']:.2f} "
                     f"| {ours['ssim']:.3f} | {ours['encode_s']:.1f} | {ours['decode_s']:.3f} "
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
    args = parser.parse_args(argv)
    description = run_description(["python", "-m", "benchmarks.crops", *(argv or sys.argv[1:])])
    rows = measure(args.images, args.levels, args.iters, args.device, args.crop)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with open(RESULTS / "crops.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(description)
    print(markdown(rows))


if __name__ == "__main__":
    main()
