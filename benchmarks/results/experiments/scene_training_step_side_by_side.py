# Seconds per latent3d training step (lego at 400 px, the level-4 preset's grids, 2 threads) under two checkouts,
# alternating in one run: python scene_training_step_side_by_side.py LABEL=PATH LABEL=PATH ... (one JSON line per timing;
# each PATH is a checkout with ../shared beside it).
import json, os, subprocess, sys, time

CHILD = """
import os, time, torch, inrcodec
assert os.path.dirname(os.path.dirname(inrcodec.__file__)) == os.getcwd(), inrcodec.__file__
from inrcodec.signals.scene.io import load_scene
from inrcodec.signals.scene.presets import scene_config
from inrcodec.signals.scene.encode import LatentRayObjective
from inrcodec.models import build_model
from inrcodec.train.fit import Schedule, optimize
torch.set_num_threads(2)
signal = load_scene('../shared/data/nerf/lego', size=400, holdout=10)
torch.manual_seed(0)
config = scene_config('latent3d', 4, tuple(signal.geometry.halves))
network = build_model(config)
generator = torch.Generator().manual_seed(0)
objective = LatentRayObjective(signal, network, generator)
latents = [torch.zeros(s, requires_grad=True) for s in config.latent_shapes()]
groups = [{"params": list(network.parameters()), "soap": True, "clip": 0.1}, {"params": latents, "lr_scale": 16.0}]
step = lambda _: objective.backward([objective.quantize(y, 0, True, generator) for y in latents], 2e-5)
optimize(groups, step, Schedule(20, 2e-2, 2e-4), label="warm", progress=False)
start = time.perf_counter()
optimize(groups, step, Schedule(60, 2e-2, 2e-4), label="timed", progress=False)
print((time.perf_counter() - start) / 60)
"""
for repeat in range(2):
    for label, path in (arg.split("=", 1) for arg in sys.argv[1:]):
        out = subprocess.run([sys.executable, "-c", CHILD], env={**os.environ, "PYTHONPATH": path}, cwd=path,
                             capture_output=True, text=True, check=True).stdout.split()
        print(json.dumps({"checkout": label, "repeat": repeat, "seconds_per_step": round(float(out[-1]), 3),
                          "date": time.strftime("%Y-%m-%d %H:%M")}), flush=True)
