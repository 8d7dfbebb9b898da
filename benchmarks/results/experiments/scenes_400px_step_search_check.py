# The synthesis step search traced on a 600-step lego 400 px fit: PSNR on the 4096 evaluation rays and on 32768 others, float, searched from 1/16 of each group spread (then the default), fixed steps, searched from 1/64 and 1/128; run from the repo root: PYTHONPATH=. python scenes_400px_step_search_check.py 600
import sys
import torch
import inrcodec, inrcodec.train.qat as qat
import inrcodec.models.latent.fit as lf
from inrcodec.train.fit import psnr_from_mse
from inrcodec.quant import weight_groups, step_from_index
from inrcodec.quant.tables import step_index_near
orig = qat.search_steps
OBJ = []
orig_fit = lf.fit_latent_model
def fit(objective, *a, **k):
    OBJ.append(objective); return orig_fit(objective, *a, **k)
import inrcodec.train.encoder as enc
enc.fit_latent_model = fit
def traced(model, distortion, pixels, rate_weight, frozen=frozenset()):
    idx = orig(model, distortion, pixels, rate_weight, frozen)
    obj = OBJ[0]
    g = torch.Generator().manual_seed(123)
    big = obj.rays.pick(torch.randperm(len(obj.rays), generator=g)[:32768])
    feats = distortion.__closure__  # unused
    groups = weight_groups(model.config)
    params = dict(model.named_parameters())
    searched = [n for n in range(len(groups)) if n not in frozen]
    orig_vals = {n: groups[n].select(params[groups[n].parameter]).detach().clone() for n in searched}
    import inrcodec.models.latent.fit as F
    def measure(label, steps):
        for n in searched:
            t = groups[n].select(params[groups[n].parameter])
            v = orig_vals[n]
            t.data.copy_(v if steps is None else torch.round(v / steps[n]) * steps[n])
        small = distortion(model)
        with torch.no_grad():
            fe = CACHE[0]
            field = lambda p: torch.cat([obj.network.field(part, fe) for part in p.split(1 << 16)])
            bigd = float(torch.mean((obj.marcher.render(field, big) - big[4]) ** 2))
        bits = sum(qat._group_bits(qat._integers(orig_vals[n].reshape(-1), step_index_near(steps[n]))) for n in searched) if steps else 0
        print(f"{label:12s} eval4096 {psnr_from_mse(small):.3f}  big32768 {psnr_from_mse(bigd):.3f}  bits {bits:.0f}", flush=True)
    measure("float", None)
    measure("search", {n: step_from_index(idx[n]) for n in searched})
    for share in (64, 128, 256):
        measure(f"std/{share}", {n: step_from_index(step_index_near(float(orig_vals[n].std()) / share)) for n in searched})
    for share in (64, 128):
        for n in searched:
            groups[n].select(params[groups[n].parameter]).data.copy_(orig_vals[n])
        i2 = orig(model, distortion, pixels, rate_weight, frozen, start_share=1 / share)
        measure(f"search/{share}", {n: step_from_index(i2[n]) for n in searched})
    measure("float", None)
    return idx
lf.search_steps = traced
CACHE = []
orig_feat = None
import inrcodec.signals.scene.encode as se
of = se.LatentRayObjective.features
def features(self, grids):
    out = of(self, grids); CACHE[:] = [out]; return out
se.LatentRayObjective.features = features
sys.path.insert(0, ".")
from benchmarks.scenes import scene_path
r = inrcodec.encode_scene(scene_path("lego_400px"), quality=4, model="latent3d", holdout=10, size=400,
                          iterations=int(sys.argv[1]), device="cpu", threads=2, seed=0)
print("bytes", r.bytes, "held", r.psnr, "fitted", r.fitted_psnr)
