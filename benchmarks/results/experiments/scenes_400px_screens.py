# The 800-step training screens (channels, width, learning rate, λ) behind results/scenes_400px_levers_2026-12-05.jsonl, run as: python scenes_400px_screens.py name:channels:width:lr:lambda ...
import time, sys, math, dataclasses, torch, numpy as np
from inrcodec.signals.scene.io import load_scene
from inrcodec.signals.scene.presets import scene_config
from inrcodec.signals.scene.encode import LatentRayObjective
from inrcodec.models import build_model
from inrcodec.train.fit import Schedule, optimize
torch.set_num_threads(2)
sig=load_scene('../shared/data/nerf/lego', size=400, holdout=10)
def run(name, C, width, lr, lam, steps=800):
    torch.manual_seed(0)
    cfg=dataclasses.replace(scene_config('latent3d',4,tuple(sig.geometry.halves)), channels=C, width=width)
    net=build_model(cfg)
    g=torch.Generator().manual_seed(0)
    obj=LatentRayObjective(sig, net, g)
    lat=[torch.zeros(s, requires_grad=True) for s in cfg.latent_shapes()]
    t=time.time()
    optimize([{"params": list(net.parameters()), "soap": True, "clip": 0.1},
              {"params": lat, "lr_scale": 16.0}], lambda step: obj.backward([obj.quantize(y,0,True,g) for y in lat], lam), Schedule(steps, lr, lr/100), label="x", progress=False)
    el=time.time()-t
    with torch.no_grad():
        grids=obj.features([torch.round(y) for y in lat])
        d=float(obj.distortion(grids)); kb=float(obj.rate.bits(grids, net.context))/8192
    print(name, f'C={C} width={width} lr={lr} lam={lam} steps={steps} eval {-10*math.log10(d):.2f} {kb:.0f}KB {el:.0f}s', flush=True)
for spec in sys.argv[1:]:
    n,C,w,lr,lam=spec.split(':'); run(n,int(C),int(w),float(lr),float(lam))
