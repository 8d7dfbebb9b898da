import sys, time, numpy as np, inrcodec
from concurrent.futures import ThreadPoolExecutor
from inrcodec.signals.scene.io import load_scene
from inrcodec.signals.scene import decode as D
signal = load_scene('../shared/data/nerf/lego', size=400, holdout=10)
data = open('benchmarks/results/files/lego_400px_latent3d_q4_c2_lr2.inr','rb').read()
scene = inrcodec.decode_scene(data)
views = scene.cameras(signal.held_out.poses[:3])
net=scene.network
m=D.RayMarcher(scene.geometry, scene.occupancy)
chunk=D.rays_per_chunk(scene.geometry)
def one(args):
    o,d=args
    pos,ray,t=m.points(o,d)
    return m.composite(net,pos,ray,len(o))
def render(workers):
    global chunk
    out=[]
    for i in range(len(views.poses)):
        o,d=(a.astype(np.float32) for a in views.rays(i))
        parts=[(o[s:s+chunk],d[s:s+chunk]) for s in range(0,len(o),chunk)]
        if workers==1: res=[one(p) for p in parts]
        else:
            with ThreadPoolExecutor(workers) as ex: res=list(ex.map(one, parts))
        out.append(np.concatenate(res))
    return out
for w,c in ((2,chunk),(2,chunk*2),(2,chunk*4),(1,chunk),(1,chunk*2),(1,chunk*4)):
    chunk=c
    t=time.perf_counter(); render(w); print(w,c, (time.perf_counter()-t)/3, flush=True)
