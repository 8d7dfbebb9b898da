# The training-only A/B behind results/scenes_400px_levers_2026-12-05.jsonl (run as: python scenes_400px_ab.py name:quant:latent_lr:net_lr:gain:rate_share ...).
import time, sys, torch, numpy as np, math
from inrcodec.signals.scene.io import load_scene
from inrcodec.signals.scene.presets import scene_config
from inrcodec.models import build_model
from inrcodec.signals.scene.encode import LatentRayObjective
from inrcodec.models.latent.objective import quantize_latents
torch.set_num_threads(2)
sig=load_scene('../shared/data/nerf/lego', size=400, holdout=10)
def run(name, quant, lat_lr, net_lr, gain, share=1.0, steps=400, lam=5e-6):
    torch.manual_seed(0)
    cfg=scene_config('latent3d',4,tuple(sig.geometry.halves))
    net=build_model(cfg)
    with torch.no_grad(): net.synthesis.gain.fill_(gain)
    g=torch.Generator().manual_seed(0)
    obj=LatentRayObjective(sig, net, g); obj.RATE_SHARE=share
    lat=[torch.zeros(s, requires_grad=True) for s in cfg.latent_shapes()]
    opt=torch.optim.Adam([{'params':list(net.parameters()),'lr':net_lr},{'params':lat,'lr':lat_lr}])
    hist=[]; t=time.time()
    for i in range(steps):
        if quant=='soft': grids=[quantize_latents(y,i/steps,False,g) for y in lat]
        elif quant=='ste': grids=[quantize_latents(y,i/steps,True,g) for y in lat]
        else: grids=lat
        loss,mse=obj.backward(grids, lam); opt.zero_grad(); loss.backward(); opt.step()
        hist.append(float(mse))
    with torch.no_grad():
        grids=[torch.round(y) for y in lat] if quant!='none' else lat
        d=float(obj.distortion(obj.features(grids)))
        kb=float(obj.rate.bits(obj.features(grids), net.context))/8192
    print(name, f'batch {-10*math.log10(np.mean(hist[-50:])):.2f} eval {-10*math.log10(d):.2f} {kb:.0f}KB {time.time()-t:.0f}s', flush=True)
for spec in sys.argv[1:]:
    n,q,a,b,c,sh=spec.split(':'); run(n,q,float(a),float(b),float(c),float(sh))
