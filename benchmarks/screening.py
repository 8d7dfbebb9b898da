"""Screening levers of the latent codec before they are built: a float-only stand-in of it with
switchable structure (hyper grids, inter-grid context features, residual and skip context layers,
learned upsampling, synthesis skip and 3×3 refinement, Chebyshev activations) and recipe (multi-start
warm-up, SOAP, gradient clipping, what the hard phase trains).

It trains exactly as the codec's encoder does in spirit — soft rounding with noise, then hard
rounding — but never quantizes the networks or codes anything: the rate is the float Laplace bits
of the rounded latents plus 8 bits per network parameter plus a 70-byte header (within ~2 % of the
codec's real files for the default structure, measured on kodim05). Use it to rank levers, then
build the winners and measure them with ``benchmarks.levers`` on real files.

    python -m benchmarks.screening benchmarks/screening/batch2.json benchmarks/results/screening_batch2.jsonl

The spec (JSON) lists images, λ values and variants ``[name, structure overrides, recipe
overrides]``; two single-threaded workers; resumable (done rows are skipped); prints the BD-rate
table against the variant named "base" at the end.
"""
import json
import math
import os
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from inrcodec.models.latent.objective import _SparseRows, _resample, _NoisySoftRound
from inrcodec.models.latent.coding import parent_taps
from inrcodec.models.latent.trainable import sampling_taps
from inrcodec.train.rate import laplace_bits
from inrcodec.signals.encoding import centres_tensor as cell_centres

BITS_PER_PARAM = 8.0
HEADER_BYTES = 70
V1_OFFSETS = ((-1, -2), (-1, -1), (-1, 0), (0, -1), (0, -2), (-2, -2), (-2, -1), (-2, 0), (0, -3), (-1, -3), (-3, 0))
CC_OFFSETS = ((0, -1), (-1, 0), (-1, -1), (-1, 1), (0, -2), (-2, 0), (-1, -2), (-1, 2), (-2, -1), (-2, 1),
              (0, -3), (-3, 0), (-2, -2), (-2, 2))


@dataclass(frozen=True)
class Arch:
    levels: int = 7
    hyper: tuple = ()  # resolution exponents of hyper grids, e.g. (4, 5, 6)
    width: int = 24
    hidden_layers: int = 0
    syn_skip: bool = False
    refine: bool = False  # 3x3 residual conv on output
    upsampling: str = "bicubic"  # bicubic | cascade | learned
    offsets: str = "v1"  # v1 | ccN
    parent: bool = True
    ifce: int = 0  # features; 0: none
    ifce_grids: int = 3  # finest synthesis grids that get it
    ctx_width: int = 16
    ctx_layers: int = 1  # hidden layers (first maps in->width; more are residual width->width)
    ctx_skip: bool = False
    level_bias: bool = True
    activation: str = "relu"  # relu | chebD: per-unit learnable Chebyshev activation of degree D (no LayerNorm)


@dataclass(frozen=True)
class Recipe:
    steps: int = 2000
    lr: float = 1e-2
    latent_lr_scale: float = 16.0
    soft_share: float = 0.85
    hard_trains: str = "context"  # what the hard phase trains besides latents: context | all | none
    warmup: tuple = ()  # e.g. ((5, 50), (2, 50)): candidates, steps
    noise: tuple = (0.25, 0.1)
    temperature: tuple = (0.3, 0.1)
    optimizer: str = "adam"
    clip: float = 0.0
    warm_noise: float = 0.0  # 0: lambda-dependent (Cool-chic)


def offsets_of(name):
    if name == "v1":
        return V1_OFFSETS
    return CC_OFFSETS[:int(name[2:])]


class Model(nn.Module):
    def __init__(self, arch: Arch, height, width, channels=3):
        super().__init__()
        self.arch, self.height, self.width = arch, height, width
        L = arch.levels
        self.synth_shapes = [(-(-height // 2 ** l), -(-width // 2 ** l)) for l in range(L)]
        # coding order: coarsest first; at equal resolution the hyper grid before the synthesis grid
        grids = [("s", l) for l in range(L)] + [("h", l) for l in arch.hyper]
        grids.sort(key=lambda g: (-g[1], 0 if g[0] == "h" else 1))
        self.order = grids
        self.shapes = {g: (-(-height // 2 ** g[1]), -(-width // 2 ** g[1])) for g in grids}
        w = arch.width
        self.first = nn.Linear(L, w)
        self.hidden = nn.ModuleList(nn.Linear(w, w) for _ in range(arch.hidden_layers))
        self.output = nn.Linear(w, channels)
        if arch.activation != "relu":
            degree = int(arch.activation[4:])
            init = torch.zeros(1 + arch.hidden_layers, w, degree + 1)
            init[:, :, 1] = 1.0
            self.cheb = nn.Parameter(init)
        if arch.syn_skip:
            self.skip = nn.Linear(L, channels)
            nn.init.zeros_(self.skip.weight); nn.init.zeros_(self.skip.bias)
        if arch.refine:
            self.refine = nn.Parameter(torch.zeros(channels, channels, 3, 3))
            self.refine_bias = nn.Parameter(torch.zeros(channels))
        if arch.upsampling in ("learned", "learned_up"):
            init = torch.tensor([-0.0351562, -0.1054687, 0.2617187, 0.8789063])
            self.up_taps = nn.Parameter(init.repeat(L - 1, 1))
        if arch.upsampling in ("learned", "learned_pre"):
            self.pre_taps = nn.Parameter(torch.zeros(L - 1, 4))
        # context
        self.offsets = offsets_of(arch.offsets)
        inputs = len(self.offsets) + int(arch.parent) + arch.ifce
        c = arch.ctx_width
        self.c_first = nn.Linear(inputs, c)
        self.c_res = nn.ModuleList(nn.Linear(c, c) for _ in range(arch.ctx_layers - 1))
        for layer in self.c_res:
            nn.init.zeros_(layer.weight); nn.init.zeros_(layer.bias)
        self.c_out = nn.Linear(c, 2)
        with torch.no_grad():
            self.c_out.weight.mul_(0.1); self.c_out.bias.zero_()
        if arch.ctx_skip:
            self.c_skip = nn.Linear(inputs, 2)
            nn.init.zeros_(self.c_skip.weight); nn.init.zeros_(self.c_skip.bias)
        self.level_bias = nn.Parameter(torch.zeros(len(grids), 2))
        # ifce maps
        self.ifce_for = {}
        if arch.ifce:
            fine = [("s", l) for l in range(min(arch.ifce_grids, L))]
            maps = []
            for g in fine:
                earlier = self.order[:self.order.index(g)]
                self.ifce_for[g] = len(maps)
                maps.append(nn.Linear(len(earlier), arch.ifce))
            self.ifce_maps = nn.ModuleList(maps)
        self._prep()

    def network_parameters(self):
        return sum(p.numel() for p in self.parameters())

    def _prep(self):
        H, W = self.height, self.width
        taps = sampling_taps(1)
        axes = (cell_centres(H, torch.device("cpu")), cell_centres(W, torch.device("cpu")))
        self.to_image = [None if s == (H, W) else tuple(_SparseRows(*taps(a, n), n) for a, n in zip(axes, s))
                         for s in self.synth_shapes]
        pw = torch.tensor([[0.75, 0.25]])
        self.to_child = {}
        for g in self.order:
            kind, l = g
            parent = (kind, l + 1)
            if parent in self.shapes:
                child, coarse = self.shapes[g], self.shapes[parent]
                self.to_child[g] = tuple(_SparseRows(torch.from_numpy(np.stack(parent_taps(c, p), -1)), pw.expand(c, 2), p)
                                         for c, p in zip(child, coarse))
        self.nearest = {}
        for g in self.ifce_for:
            h, w = self.shapes[g]
            idx = []
            for e in self.order[:self.order.index(g)]:
                k = e[1] - g[1]
                he, we = self.shapes[e]
                rows = torch.clamp(torch.arange(h) >> k, max=he - 1)
                cols = torch.clamp(torch.arange(w) >> k, max=we - 1)
                idx.append((rows, cols))
            self.nearest[g] = idx

    # ---- synthesis side
    def features(self, grids):
        synth = [grids[("s", l)] for l in range(self.arch.levels)]
        if self.arch.upsampling == "bicubic":
            return torch.stack([g if m is None else _resample(g, *m) for g, m in zip(synth, self.to_image)], -1)
        # cascade: from coarsest, upsample x2 (stacked channels), crop, concat with pre-filtered finer grid
        mode = self.arch.upsampling
        learn_up = mode in ("learned", "learned_up")
        learn_pre = mode in ("learned", "learned_pre")
        z = synth[-1][None]
        for step, l in enumerate(reversed(range(self.arch.levels - 1))):
            taps = self.up_taps[step] if learn_up else torch.tensor([-0.0351562, -0.1054687, 0.2617187, 0.8789063])
            z = upsample2(z, taps, self.synth_shapes[l])
            finer = synth[l][None]
            if learn_pre:
                finer = finer + sym_filter7(finer, self.pre_taps[step])
            z = torch.cat([finer, z], 0)
        return z.permute(1, 2, 0)  # (H, W, L): finest first

    def act(self, h, index):
        if self.arch.activation == "relu":
            return torch.relu(h)
        t = torch.tanh(h)
        a = self.cheb[index]
        z = a[:, 0] + a[:, 1] * t
        previous, current = torch.ones_like(t), t
        for k in range(2, a.shape[1]):
            previous, current = current, 2 * t * current - previous
            z = z + a[:, k] * current
        return z

    def synthesize(self, features):
        z = self.act(self.first(features), 0)
        for i, layer in enumerate(self.hidden):
            z = self.act(layer(z), i + 1)
        out = self.output(z)
        if self.arch.syn_skip:
            out = out + self.skip(features)
        if self.arch.refine:
            x = out.permute(2, 0, 1)[None]
            x = x + F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), self.refine, self.refine_bias)
            out = x[0].permute(1, 2, 0)
        return out

    # ---- entropy side
    def contexts(self, grids, g):
        grid = grids[g]
        h, w = grid.shape
        P = 3
        padded = F.pad(grid, (P, P, P, 0))
        cols = [padded[P + dy:P + dy + h, P + dx:P + dx + w].reshape(-1) for dy, dx in self.offsets]
        if self.arch.parent:
            parent = (g[0], g[1] + 1)
            cols.append((_resample(grids[parent], *self.to_child[g]) if parent in grids else torch.zeros_like(grid)).reshape(-1))
        ctx = torch.stack(cols, 1)
        if self.arch.ifce:
            if g in self.ifce_for:
                raw = torch.stack([grids[e][rows[:, None], cols_[None, :]].reshape(-1)
                                   for e, (rows, cols_) in zip(self.order, self.nearest[g])], 1)
                feat = self.ifce_maps[self.ifce_for[g]](raw)
            else:
                feat = torch.zeros(h * w, self.arch.ifce)
            ctx = torch.cat([ctx, feat], 1)
        return ctx

    def context_net(self, ctx, index):
        h = torch.relu(self.c_first(ctx))
        for layer in self.c_res:
            h = torch.relu(h + layer(h))
        out = self.c_out(h)
        if self.arch.ctx_skip:
            out = out + self.c_skip(ctx)
        out = out + self.level_bias[index]
        return out[:, 0], out[:, 1]

    def rate(self, grids):
        bits = 0.0
        for index, g in enumerate(self.order):
            mean, log2_scale = self.context_net(self.contexts(grids, g), index)
            scale = torch.exp2(log2_scale.clamp(-6, 12))
            bits = bits + laplace_bits(grids[g].reshape(-1), scale, mean)
        return bits


def upsample2(z, taps, shape):
    """(C, h, w) -> (C, shape) by the symmetric 8-tap x2 filter with free taps t0..t3, replicate borders."""
    t0, t1, t2, t3 = taps
    def along(x, dim):
        n = x.shape[dim]
        xp = torch.cat([x.narrow(dim, 0, 1)] * 2 + [x] + [x.narrow(dim, n - 1, 1)] * 2, dim)
        s = lambda k: xp.narrow(dim, 2 + k, n)
        even = t0 * s(-2) + t2 * s(-1) + t3 * s(0) + t1 * s(1)
        odd = t1 * s(-1) + t3 * s(0) + t2 * s(1) + t0 * s(2)
        out = torch.stack([even, odd], dim + 1)
        new_shape = list(x.shape); new_shape[dim] = 2 * n
        return out.reshape(new_shape)
    z = along(z, 1)[:, :shape[0]]
    z = along(z, 2)[:, :, :shape[1]]
    return z


def sym_filter7(x, taps):
    """(C, h, w): separable symmetric 7-tap filter (a b c d c b a) with replicate borders."""
    a, b, c, d = taps
    def along(x, dim):
        n = x.shape[dim]
        xp = torch.cat([x.narrow(dim, 0, 1)] * 3 + [x] + [x.narrow(dim, n - 1, 1)] * 3, dim)
        s = lambda k: xp.narrow(dim, 3 + k, n)
        return d * s(0) + c * (s(-1) + s(1)) + b * (s(-2) + s(2)) + a * (s(-3) + s(3))
    return along(along(x, 1), 2)


def quantize(y, progress, hard, gen, recipe):
    if hard:
        return y + (torch.round(y) - y).detach()
    t = recipe.temperature[0] + (recipe.temperature[1] - recipe.temperature[0]) * progress
    s = recipe.noise[0] + (recipe.noise[1] - recipe.noise[0]) * progress
    return _NoisySoftRound.apply(y, s * torch.randn(y.shape, generator=gen), t)


class _Both:
    def __init__(self, *opts):
        self.opts = opts
    @property
    def param_groups(self):
        return [g for o in self.opts for g in o.param_groups]
    def zero_grad(self, set_to_none=True):
        for o in self.opts: o.zero_grad(set_to_none=set_to_none)
    def step(self):
        for o in self.opts: o.step()


def train(model, target, lam, recipe, gen, latents=None, steps=None, phase="soft"):
    pixels = target.shape[0] * target.shape[1]
    if latents is None:
        latents = {g: torch.zeros(s, requires_grad=True) for g, s in model.shapes.items()}
    net_params = list(model.parameters())
    if phase in ("soft", "warm"):
        groups = [{"params": net_params, "scale": 1.0}, {"params": list(latents.values()), "scale": recipe.latent_lr_scale}]
        lr0, lr1 = recipe.lr, recipe.lr / 100 if phase == "soft" else recipe.lr
    else:
        trained = {"context": [p for n, p in model.named_parameters() if n.startswith(("c_", "level_bias", "ifce"))],
                   "all": net_params, "none": []}[recipe.hard_trains]
        groups = [{"params": trained, "scale": 1.0}, {"params": list(latents.values()), "scale": 1.0}]
        lr0 = lr1 = 1e-4
    groups = [g for g in groups if g["params"]]
    if recipe.optimizer == "soap" and phase in ("soft", "warm") and groups[0]["params"] is net_params:
        from pytorch_optimizer import SOAP
        nets = SOAP([{"params": groups[0]["params"], "scale": 1.0}], lr=lr0, betas=(0.95, 0.95), weight_decay=0.01,
                    precondition_frequency=10)
        lats = torch.optim.Adam([{"params": groups[1]["params"], "scale": groups[1]["scale"]}], lr=lr0)
        opt = _Both(nets, lats)
    else:
        opt = torch.optim.Adam([{"params": g["params"], "scale": g["scale"]} for g in groups], lr=lr0)
    for step in range(steps):
        progress = step / max(1, steps - 1)
        lr = lr1 + (lr0 - lr1) * 0.5 * (1 + math.cos(math.pi * progress))
        for g in opt.param_groups:
            g["lr"] = lr * g["scale"]
        if phase == "warm":
            sigma = recipe.warm_noise if recipe.warm_noise else (-0.432 * math.log10(lam) + 0.747) / 10
            grids = {g: _NoisySoftRound.apply(y, sigma * torch.randn(y.shape, generator=gen), 0.35) for g, y in latents.items()}
        else:
            grids = {g: quantize(y, progress, phase == "hard", gen, recipe) for g, y in latents.items()}
        out = model.synthesize(model.features(grids))
        mse = ((out - target) ** 2).mean()
        loss = mse + lam * model.rate(grids) / pixels
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if recipe.clip:
            torch.nn.utils.clip_grad_norm_(net_params, recipe.clip)
        opt.step()
    return latents


@torch.no_grad()
def evaluate(model, target, latents, lam):
    grids = {g: torch.round(y) for g, y in latents.items()}
    out = model.synthesize(model.features(grids))
    mse = float(((out.clamp(-0.5, 0.5) - target) ** 2).mean())
    latent_bits = float(model.rate(grids))
    pixels = target.shape[0] * target.shape[1]
    bits = latent_bits + BITS_PER_PARAM * model.network_parameters() + 8 * HEADER_BYTES
    return dict(psnr=-10 * math.log10(mse), bpp=bits / pixels, latent_bpp=latent_bits / pixels,
                params=model.network_parameters(), loss=mse + lam * bits / pixels)


def run(job):
    image, crop, lam, arch, recipe, seed = job
    torch.set_num_threads(1)
    from inrcodec.train.runtime import keep_freed_memory
    keep_freed_memory()
    from benchmarks.common import kodak_image
    pixels = kodak_image(image, crop)
    target = torch.from_numpy(pixels.astype(np.float32) / 255 - 0.5)
    H, W = target.shape[:2]
    start = time.perf_counter()
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    warm = sum(c * s for c, s in recipe.warmup)
    soft = round(recipe.soft_share * recipe.steps) - warm
    if recipe.warmup:
        candidates = []
        for i in range(recipe.warmup[0][0]):
            torch.manual_seed(seed + 1000 * i)
            m = Model(arch, H, W)
            candidates.append([m, None])
        for count, steps in recipe.warmup:
            for cand in candidates[:count]:
                cand[1] = train(cand[0], target, lam, recipe, gen, cand[1], steps, phase='warm')
            candidates = sorted(candidates[:count], key=lambda c: evaluate(c[0], target, c[1], lam)["loss"])
        model, latents = candidates[0]
    else:
        model, latents = Model(arch, H, W), None
    latents = train(model, target, lam, recipe, gen, latents, soft)
    hard = recipe.steps - round(recipe.soft_share * recipe.steps)
    latents = train(model, target, lam, recipe, gen, latents, hard, phase="hard")
    result = evaluate(model, target, latents, lam)
    return dict(image=image, crop=crop, lam=lam, arch=asdict(arch), recipe=asdict(recipe), seconds=time.perf_counter() - start, **result)


def bd_table(rows: list[dict]) -> list[str]:
    """BD-rate of every variant against "base", per image and averaged, and its mean seconds."""
    from .bdrate import bd_rate

    curves = defaultdict(lambda: defaultdict(list))
    for row in rows:
        curves[row["name"]][row["image"]].append((row["bpp"], row["psnr"]))
    images = sorted(curves["base"])
    lines = ["| variant | BD-rate vs base | " + " | ".join(images) + " | mean s |",
             "|---|---:|" + "---:|" * len(images) + "---:|"]
    for name, by_image in curves.items():
        values = []
        for image in images:
            base, test = sorted(curves["base"][image]), sorted(by_image.get(image, []))
            values.append(bd_rate(*zip(*base), *zip(*test)) if len(test) >= 3 and len(base) >= 3 else math.nan)
        finite = [v for v in values if not math.isnan(v)]
        seconds = [r["seconds"] for r in rows if r["name"] == name]
        lines.append(f"| {name} | {sum(finite) / max(1, len(finite)):+.1f} % | "
                     + " | ".join(f"{v:+.1f}" for v in values) + f" | {sum(seconds) / len(seconds):.0f} |")
    return lines


if __name__ == "__main__":
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing
    spec = json.loads(open(sys.argv[1]).read())
    out = sys.argv[2]
    images = spec.get("images", ["kodim05", "kodim23"])
    lams = spec.get("lams", [8e-3, 2e-3, 5e-4])
    crop = spec.get("crop", 256)
    variants = spec["variants"]  # list of (name, arch overrides, recipe overrides)
    jobs = []
    done = set()
    if os.path.exists(out):
        for line in open(out):
            r = json.loads(line); done.add((r["name"], r["image"], r["crop"], r["lam"]))
    for name, a, r in variants:
        for image in images:
            for lam in lams:
                if (name, image, crop, lam) in done:
                    continue
                arch = Arch(**{k: tuple(v) if isinstance(v, list) else v for k, v in a.items()})
                recipe = Recipe(**{k: tuple(map(tuple, v)) if k == "warmup" else (tuple(v) if isinstance(v, list) else v) for k, v in r.items()})
                jobs.append((name, (image, crop, lam, arch, recipe, 0)))
    ctx = multiprocessing.get_context("spawn")
    os.environ["OMP_NUM_THREADS"] = "1"
    with ProcessPoolExecutor(spec.get("workers", 2), mp_context=ctx) as pool, open(out, "a") as handle:
        futures = {pool.submit(run, job): name for name, job in jobs}
        for f in as_completed(futures):
            r = f.result(); r["name"] = futures[f]
            handle.write(json.dumps(r) + "\n"); handle.flush()
            print(r["name"], r["image"], r["lam"], f"{r['bpp']:.4f} bpp {r['psnr']:.2f} dB {r['seconds']:.0f}s", flush=True)
    print("\n".join(bd_table([json.loads(line) for line in open(out)])))
