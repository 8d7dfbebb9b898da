# The image latent model's synthesis step search from 1/16 (the default), 1/64 and 1/128 of each group's spread, on one encode; run from the repo root: python benchmarks/results/experiments/image_step_search_start.py ../shared/data/kodak/kodim05.png 256 4
"""An image latent encode, tracing the synthesis step search: PSNR with float weights, after the
search from 1/16 of the spread (today), from 1/64 and 1/128. Usage: image_search_check.py IMAGE CROP QUALITY"""
import sys, time
import numpy as np, torch
from PIL import Image
import inrcodec, inrcodec.train.qat as qat
import inrcodec.models.latent.fit as lf
from inrcodec.train.fit import psnr_from_mse
from inrcodec.quant import weight_groups, step_from_index
torch.set_num_threads(1)
orig = qat.search_steps
def traced(model, distortion, pixels, rate_weight, frozen=frozenset(), start_share=None):
    groups = weight_groups(model.config); params = dict(model.named_parameters())
    searched = [n for n in range(len(groups)) if n not in frozen]
    keep = {n: groups[n].select(params[groups[n].parameter]).detach().clone() for n in searched}
    def measure(label, idx):
        for n in searched:
            v = keep[n]; t = groups[n].select(params[groups[n].parameter])
            t.data.copy_(v if idx is None else torch.round(v / step_from_index(idx[n])) * step_from_index(idx[n]))
        d = distortion(model)
        bits = sum(qat._group_bits(qat._integers(keep[n].reshape(-1), idx[n])) for n in searched) if idx else 0
        cost = d + rate_weight * bits / pixels
        print(f"{label:10s} psnr {psnr_from_mse(d):.3f} bits {bits:.0f} cost {cost:.6g}", flush=True)
        for n in searched:
            groups[n].select(params[groups[n].parameter]).data.copy_(keep[n])
    measure("float", None)
    chosen = None
    for share in (16, 64, 128):
        idx = orig(model, distortion, pixels, rate_weight, frozen, start_share=1 / share)
        measure(f"search/{share}", idx)
        chosen = chosen or idx
    return chosen
lf.search_steps = traced
path, crop, quality = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
im = np.asarray(Image.open(path).convert("RGB"))
if crop:
    h, w = im.shape[:2]; im = im[(h - crop) // 2:(h + crop) // 2, (w - crop) // 2:(w + crop) // 2]
t = time.time()
r = inrcodec.encode(im, quality=quality, threads=1)
print(path, crop, quality, "bytes", r.bytes, "psnr", round(r.psnr, 3), f"{time.time() - t:.0f}s")
