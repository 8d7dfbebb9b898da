import time, torch
from inrcodec.signals.scene.io import load_scene
from inrcodec.signals.scene.presets import scene_config
from inrcodec.signals.scene.encode import LatentRayObjective
from inrcodec.models import build_model
from inrcodec.models.latent3d.trainable import features
torch.set_num_threads(2)
sig=load_scene('../shared/data/nerf/lego', size=400, holdout=10)
torch.manual_seed(0)
cfg=scene_config('latent3d',4,tuple(sig.geometry.halves))
net=build_model(cfg); g=torch.Generator().manual_seed(0)
obj=LatentRayObjective(sig, net, g)
lat=[(torch.randn(s)).round().requires_grad_() for s in cfg.latent_shapes()]
grids0=lambda: obj.features(lat)
grids=grids0()
def T(name, f, n=10):
    f(); t=time.time()
    for _ in range(n): f()
    print(name, round((time.time()-t)/n*1000,1),'ms')
rays=obj.batch()
T('batch', obj.batch)
T('points', lambda: obj.marcher.points(*rays[:4], g))
pos,act=obj.marcher.points(*rays[:4], g)
print('dense', pos.shape, 'active', int(act.sum()))
P=pos[act]
T('features fwd', lambda: features(P, grids, 2))
def fb():
    f=features(P,grids0(),2); f.sum().backward()
T('features fwd+bwd', fb)
F_=features(P,grids,2).detach().requires_grad_()
def syn():
    net.synthesis(F_).sum().backward()
T('synthesis fwd+bwd', syn)
def comp():
    out=obj.marcher.composite(lambda p: net.synthesis(F_), pos, act); out.sum().backward()
T('composite incl synth', comp)
def rate():
    b=obj.rate.bits(grids0(), net.context, 0.1, g); b.backward()
T('rate fwd+bwd', rate)
T('masking', lambda: obj.features(lat))
from torch.profiler import profile
with profile() as p:
    for _ in range(5): rate()
print(p.key_averages().table(sort_by='self_cpu_time_total', row_limit=15))
print([len(f) for _,_,f,_ in obj.rate.levels], obj.rate.levels[0][1].shape)
