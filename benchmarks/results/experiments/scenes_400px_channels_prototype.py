# The first channel screen (before the config had channels: a level's channels as one grid_sample volume here) behind results/scenes_400px_levers_2026-12-05.jsonl, run as: python scenes_400px_channels_prototype.py name:channels:level:steps:lambda ...
import time, sys, math, dataclasses, torch, numpy as np
import torch.nn.functional as F
from inrcodec.signals.scene.io import load_scene
from inrcodec.signals.scene.presets import scene_config, LATENT_SCENE_PRESETS
from inrcodec.models.latent.trainable import Synthesis, ContextNetwork
from inrcodec.signals.scene.encode import LatentRayObjective
from inrcodec.models import build_model
from inrcodec.train.fit import Schedule, optimize
torch.set_num_threads(2)
sig=load_scene('../shared/data/nerf/lego', size=400, holdout=10)
def run(name, C, level, steps, lam, lr=1e-2):
    torch.manual_seed(0)
    cfg=scene_config('latent3d',level,tuple(sig.geometry.halves))
    net=build_model(cfg)
    g=torch.Generator().manual_seed(0)
    obj=LatentRayObjective(sig, net, g)
    fake=dataclasses.replace(cfg, levels=cfg.levels*C)
    syn=Synthesis(fake); ctx=ContextNetwork(cfg)
    lat=[torch.zeros((C,)+s, requires_grad=True) for s in cfg.latent_shapes()]
    masks=obj.masks
    def feats(points, grids):
        where = points[None, :, None, None, :]
        return torch.cat([F.grid_sample(grid.permute(0,3,2,1)[None], where, mode="bilinear", padding_mode="border", align_corners=False)[0, :, :, 0, 0] for grid in grids]).T
    def grids_of():
        return [(y + (torch.round(y)-y).detach())*m for y,m in zip(lat,masks)]
    def loss(step):
        grids=grids_of()
        rays=obj.batch()
        r=obj.marcher.render(lambda p: syn(feats(p,grids)), rays, g)
        mse=torch.mean((r-rays[4])**2)
        bits=sum(obj.rate.bits([gr[c] for gr in grids], ctx, 0.25, g) for c in range(C))
        return mse+lam*bits/8192, mse.detach()
    t=time.time()
    optimize([{"params": list(syn.parameters())+list(ctx.parameters()), "soap": True, "clip": 0.1},
              {"params": lat, "lr_scale": 16.0}], loss, Schedule(steps, lr, lr/100), label="x", progress=False)
    with torch.no_grad():
        grids=[torch.round(y)*m for y,m in zip(lat,masks)]
        ev=obj.evaluation
        r=obj.marcher.render(lambda p: torch.cat([syn(feats(q,grids)) for q in p.split(1<<16)]), ev)
        d=float(torch.mean((r-ev[4])**2))
        kb=sum(float(obj.rate.bits([gr[c] for gr in grids], ctx)) for c in range(C))/8192
    print(name, f'C={C} level={level} steps={steps} eval {-10*math.log10(d):.2f} {kb:.0f}KB {time.time()-t:.0f}s', flush=True)
for spec in sys.argv[1:]:
    n,C,lv,st,lam=spec.split(':'); run(n,int(C),int(lv),int(st),float(lam))
