"""One full lego 400 px latent3d encode with phase diagnostics: evaluation-ray PSNR after the soft
phase (float synthesis), after synthesis quantization, after the hard phase; then held-out and
training-view PSNR of the decoded file. Usage: full_diag.py TAG SEED THREADS"""
import json, sys, time
import numpy as np, torch
import inrcodec
import inrcodec.models.latent.fit as lf
from inrcodec.train.fit import psnr_from_mse

tag, seed, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
log = {}
orig_optimize = lf.optimize
calls = []
def optimize(groups, loss, schedule, **kw):
    calls.append(kw.get("label"))
    latents = groups[1]["params"]
    obj = OBJ[0]
    def measure():
        with torch.no_grad():
            return psnr_from_mse(float(obj.distortion(obj.features(lf._rounded(latents)))))
    if kw.get("label") == "hard latents":
        log["after_synthesis_quantization"] = measure()
    out = orig_optimize(groups, loss, schedule, **kw)
    log[f"after_{kw.get('label').replace(' ', '_')}"] = measure()
    return out
lf.optimize = optimize
OBJ = []
orig_fit = lf.fit_latent_model
def fit(objective, *a, **k):
    OBJ.append(objective)
    return orig_fit(objective, *a, **k)
import inrcodec.train.encoder as enc
enc.fit_latent_model = fit

sys.path.insert(0, ".")
from benchmarks.scenes import held_out_truth, scene_path
from inrcodec.signals.scene.io import to_pixels
from inrcodec.metrics import psnr
signal, truth = held_out_truth("lego_400px")
start = time.perf_counter()
result = inrcodec.encode_scene(scene_path("lego_400px"), quality=4, model="latent3d", holdout=10, size=400,
                               device="cpu", threads=threads, seed=seed)
log["encode_s"] = time.perf_counter() - start
d = inrcodec.decode_scene(result.data)
ho = d.render(d.cameras(signal.held_out.poses))
idx = np.arange(0, len(signal.images), 9)[:10]
tr = d.render(d.cameras(signal.views.poses[idx]))
log.update(tag=tag, seed=seed, threads=threads, bytes=result.bytes, fitted=result.fitted_psnr,
           held_out=float(np.mean([psnr(t, r) for t, r in zip(truth, ho)])),
           train_views=float(np.mean([psnr(t, r) for t, r in zip(to_pixels(signal.images[idx]), tr)])))
open(f"{tag}.inr", "wb").write(result.data)
print(json.dumps(log), flush=True)
with open("scenes_400px_phase_diagnostics.jsonl", "a") as f:
    f.write(json.dumps(log) + "\n")
