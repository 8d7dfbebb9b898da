# Held-out and training-view PSNR (10 training views, every 9th) of lego 400 px files in results/files; run from the repo root: PYTHONPATH=. python benchmarks/results/experiments/scenes_400px_train_vs_held_out.py FILE.inr ...
import sys, numpy as np, inrcodec
from benchmarks.scenes import held_out_truth, scores, RESULTS
from inrcodec.signals.scene.io import to_pixels
signal, truth = held_out_truth("lego_400px")
train_idx = np.arange(0, len(signal.images), 9)[:10]
for name in sys.argv[1:]:
    d = inrcodec.decode_scene((RESULTS / "files" / name).read_bytes())
    ho = d.render(d.cameras(signal.held_out.poses))
    tr = d.render(d.cameras(signal.views.poses[train_idx]))
    from inrcodec.metrics import psnr
    hp = [psnr(t, r) for t, r in zip(truth, ho)]
    tp = [psnr(t, r) for t, r in zip(to_pixels(signal.images[train_idx]), tr)]
    print(name, "held", round(np.mean(hp),2), "train", round(np.mean(tp),2), "per-view held", np.round(hp,1), flush=True)
