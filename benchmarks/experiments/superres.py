"""Super-resolution for free: encode a downscaled picture, decode it at the original size.

The picture is reduced ×2, ×4 and ×6 (Pillow, box filter: each low-resolution pixel is the mean of
the block it covers, which matches the cell-centre sampling of the decoder), encoded at the top
quality level, and decoded straight to the original size. PSNR/SSIM against the original, beside
Pillow's bicubic and Lanczos upscaling of the same small picture, and beside bicubic upscaling of
each file's ×1 decode (does rendering at ×4 beat decoding small and interpolating?).

    python -m benchmarks.experiments.superres --quick     # a 192² Kodak crop, 600 steps
    python -m benchmarks.experiments.superres --quick --image kodim05 --models latent   # another picture
    python -m benchmarks.experiments.superres --quick --models latent --tag learned     # superres_learned.md

Writes results/experiments/superres.md (kodim23) or superres_<image>.md, and the ×4 crops beside it.
"""

from __future__ import annotations


import numpy as np
from PIL import Image

import inrcodec
from inrcodec.metrics import psnr, ssim
from inrcodec.tools.pictures import side_by_side
from inrcodec.presets import QUALITY_LEVELS

from ..common import kodak_image
from .common import OUTPUT, arguments, describe, result_name, write

FACTORS = (2, 4, 6)


def main(argv=None) -> None:
    args = arguments(__doc__, argv, image=True, models=True)
    side, steps = (192, 600) if args.quick else (None, 3000)
    original = kodak_image(args.image, side)
    height, width = original.shape[:2]
    height, width = height - height % 12, width - width % 12  # divisible by every factor
    original = np.ascontiguousarray(original[:height, :width])
    lines = [f"Run: {describe('benchmarks.experiments.superres', argv)}; "
             f"{args.image}, {width}×{height}, {steps} steps, quality {max(QUALITY_LEVELS)}.", "",
             "| ×factor | method | PSNR dB | SSIM |", "|---|---|---|---|"]
    panels = []
    for factor in FACTORS:
        small = np.asarray(Image.fromarray(original).resize((width // factor, height // factor),
                                                             Image.Resampling.BOX))
        results = {}
        for name, resample in (("bicubic", Image.Resampling.BICUBIC), ("lanczos", Image.Resampling.LANCZOS)):
            results[name] = np.asarray(Image.fromarray(small).resize((width, height), resample))
        for model in args.models:
            data = inrcodec.encode_image(small, model=model, quality=max(QUALITY_LEVELS),
                                         iterations=steps, device="auto")
            results[f"inrcodec-{model}"] = inrcodec.decode_image(data, size=(width, height))
            decoded = Image.fromarray(inrcodec.decode_image(data))
            results[f"inrcodec-{model} ×1 + bicubic"] = np.asarray(decoded.resize((width, height),
                                                                                  Image.Resampling.BICUBIC))
        for name, upscaled in results.items():
            lines.append(f"| ×{factor} | {name} | {psnr(original, upscaled):.2f} | {ssim(original, upscaled):.4f} |")
        if factor == 4:
            crop = (slice(height // 4, height // 4 + 96), slice(width // 4, width // 4 + 96))
            panels = [(original[crop], "original")] + [
                (results[name][crop], f"{name}\n{psnr(original, results[name]):.2f} dB")
                for name in ("bicubic", "lanczos", "inrcodec-latent", "inrcodec-sl2a") if name in results]
    name = result_name("superres" if args.image == "kodim23" else f"superres_{args.image}", args)  # kodim23: the paper's
    OUTPUT.mkdir(parents=True, exist_ok=True)
    if panels:
        side_by_side(panels).save(OUTPUT / f"{name}_x4.png")
    write(name, lines)


if __name__ == "__main__":
    main()
