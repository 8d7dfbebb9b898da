"""Inpainting: fit only a random 70 % of the pixels (the paper's setting) and let each network fill
in the other 30 %; PSNR on those unknown pixels, beside scikit-image's biharmonic inpainting.

    python -m benchmarks.experiments.inpaint --quick     # a 128² Kodak crop, 600 steps
"""

from __future__ import annotations


import numpy as np
from skimage.restoration import inpaint_biharmonic

import inrcodec
from inrcodec.metrics import psnr
from inrcodec.tools.pictures import side_by_side
from inrcodec.presets import QUALITY_LEVELS

from ..common import kodak_image
from .common import OUTPUT, arguments, describe, result_name, write

KNOWN_SHARE = 0.7


def main(argv=None) -> None:
    args = arguments(__doc__, argv, image=True, models=True)
    side, steps = (128, 600) if args.quick else (256, 3000)
    original = kodak_image(args.image, side)
    known = np.random.default_rng(0).random(original.shape[:2]) < KNOWN_SHARE
    observed = np.where(known[..., None], original, 0).astype(np.uint8)
    unknown = ~known

    results = {"biharmonic (scikit-image)": np.clip(np.round(
        inpaint_biharmonic(observed / 255.0, unknown, channel_axis=-1) * 255), 0, 255).astype(np.uint8)}
    for model in args.models:
        data = inrcodec.encode_image(observed, mask=known, model=model, quality=max(QUALITY_LEVELS),
                                     iterations=steps, device="auto")
        results[f"inrcodec-{model}"] = inrcodec.decode_image(data)

    lines = [f"Run: {describe('benchmarks.experiments.inpaint', argv)}; "
             f"{args.image} {side}² crop, {KNOWN_SHARE:.0%} of pixels known (seeded), {steps} steps.", "",
             "| method | PSNR on the unknown pixels (dB) | PSNR on the known pixels (dB) |", "|---|---|---|"]
    for name, filled in results.items():
        lines.append(f"| {name} | {psnr(original[unknown], filled[unknown]):.2f} "
                     f"| {psnr(original[known], filled[known]):.2f} |")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    side_by_side([(original, "original"), (observed, "observed (70%)")]
                 + [(results[n], f"{n.split(' ')[0]}\n{psnr(original[unknown], results[n][unknown]):.2f} dB")
                    for n in ("biharmonic (scikit-image)", "inrcodec-sl2a") if n in results]
                 ).save(OUTPUT / f"{result_name('inpaint', args)}.png")
    write(result_name("inpaint", args), lines)


if __name__ == "__main__":
    main()
