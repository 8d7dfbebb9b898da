import torch, time, numpy as np
import torch.nn.functional as F
from inrcodec.models.latent3d.trainable import features
torch.set_num_threads(2)
def ref(points, grids, channels=1):
    where = points[None, :, None, None, :]
    levels = [torch.stack(grids[start:start + channels]).permute(0, 3, 2, 1)[None] for start in range(0, len(grids), channels)]
    return torch.cat([F.grid_sample(level, where, mode="bilinear", padding_mode="border", align_corners=False)[0, :, :, 0, 0] for level in levels]).T
shapes=[(128,124,80),(64,62,40),(32,31,20),(16,16,10),(8,8,5)]
K=2
grids=[(torch.randn(s)*3).round().requires_grad_() for s in shapes for _ in range(K)]
pts=torch.rand(60000,3)*2.2-1.1
a=ref(pts,grids,K); b=features(pts,grids,K)
print('maxdiff', (a-b).abs().max().item())
gout=torch.randn_like(a)
def grads(fn):
    for g in grids: g.grad=None
    (fn(pts,grids,K)*gout).sum().backward(); return [g.grad.clone() for g in grids]
print('grad diff', max((x-y).abs().max().item() for x,y in zip(grads(ref),grads(features))))
for name,fn in (('ref',ref),('atlas',features))*2:
    t=time.time()
    for _ in range(10):
        for g in grids: g.grad=None
        o=fn(pts,grids,K); (o*gout).sum().backward()
    print(name,(time.time()-t)/10)
