# Held-out PSNR (first 4 held-out views) of a lego 400 px file rendered with its samples per ray times each factor; run from the repo root: PYTHONPATH=. python benchmarks/results/experiments/scenes_400px_render_samples.py FILE.inr 1 1.25 1.5 2
import sys, dataclasses, numpy as np, inrcodec, torch
torch.set_num_threads(1)
sys.path.insert(0, ".")
from benchmarks.scenes import held_out_truth, RESULTS
from inrcodec.metrics import psnr
signal, truth = held_out_truth("lego_400px")
d = inrcodec.decode_scene(open(sys.argv[1], "rb").read())
views = d.cameras(signal.held_out.poses[:4])
for factor in [float(f) for f in sys.argv[2:]]:
    g = d.geometry
    d2 = dataclasses.replace(d, geometry=dataclasses.replace(g, samples_per_ray=round(g.samples_per_ray * factor)))
    r = d2.render(views)
    print(factor, g.samples_per_ray * factor, round(float(np.mean([psnr(t, x) for t, x in zip(truth[:4], r)])), 3), flush=True)
