# 800-step screen behind results/scenes_400px_levers_2026-12-05.jsonl: the view direction modulating the synthesis output layer's colour rows (out_rgb += V·[h·d_x, h·d_y, h·d_z], V zero at first), against none; run as: python scenes_400px_view_direction_screen.py VIEW:SEED ...
import time, sys, math, torch, numpy as np
from inrcodec.signals.scene.io import load_scene
from inrcodec.signals.scene.presets import scene_config
from inrcodec.signals.scene.encode import LatentRayObjective
from inrcodec.models import build_model
from inrcodec.models.latent3d.trainable import features
from inrcodec.train.fit import Schedule, optimize
torch.set_num_threads(2)
sig=load_scene('../shared/data/nerf/lego', size=400, holdout=10)
def run(view, seed=0, steps=800, lr=2e-2, lam=2e-5):
    torch.manual_seed(seed)
    cfg=scene_config('latent3d',4,tuple(sig.geometry.halves))
    net=build_model(cfg)
    g=torch.Generator().manual_seed(seed)
    obj=LatentRayObjective(sig, net, g)
    syn=net.synthesis
    V=torch.zeros(3, 3*cfg.width, requires_grad=True)
    def field(points, dirs, grids):
        f=features(points, grids, cfg.channels)
        t=torch.tanh(f*syn.gain); basis=[torch.ones_like(t), t]
        for _ in range(2, syn.degree+1): basis.append(2*t*basis[-1]-basis[-2])
        psi=syn.norm(torch.einsum("...lk,lok->...o", torch.stack(basis,-1), syn.coefficients))
        z=psi
        for layer in syn.hidden: z=torch.relu(layer(z*psi))
        h=z*psi
        out=syn.output(h)
        if view:
            mod=(h[:,None,:]*dirs[:,:,None]).reshape(len(h),-1)  # (N, 3w): h*d_x, h*d_y, h*d_z
            out=torch.cat([out[:,:1], out[:,1:]+mod@V.T],1)
        return out
    def render(grids, rays, gen):
        pos, act = obj.marcher.points(*rays[:4], gen)
        dirs = rays[1][:,None,:].expand(-1, act.shape[1], -1)[act]
        return obj.marcher.composite(lambda p: field(p, dirs, grids), pos, act)
    def backward(grids):
        grids=obj.features(grids); rays=obj.batch()
        mse=torch.mean((render(grids, rays, g)-rays[4])**2)
        bits=obj.rate.bits(grids, net.context, obj.RATE_SHARE, g)
        return mse + lam*bits/obj.samples, mse.detach()
    lat=[torch.zeros(s, requires_grad=True) for s in cfg.latent_shapes()]
    t=time.time()
    optimize([{"params": list(net.parameters())+([V] if view else []), "soap": True, "clip": 0.1},
              {"params": lat, "lr_scale": 16.0}], lambda step: backward([obj.quantize(y,0,True,g) for y in lat]), Schedule(steps, lr, lr/100), label="x", progress=False)
    el=time.time()-t
    with torch.no_grad():
        grids=obj.features([torch.round(y) for y in lat])
        ev=obj.evaluation
        d=float(sum(torch.sum((render(grids, tuple(a[i:i+1024] for a in ev), None)-ev[4][i:i+1024])**2) for i in range(0,len(ev[4]),1024))/ev[4].numel())
        kb=float(obj.rate.bits(grids, net.context))/8192
    print(f'view={view} seed={seed} steps={steps} eval {-10*math.log10(d):.2f} {kb:.0f}KB {el:.0f}s', flush=True)
for spec in sys.argv[1:]:
    v,s=spec.split(':'); run(int(v), int(s))
