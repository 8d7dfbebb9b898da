# Render time of one scene file's held-out views under two checkouts, alternating, same machine and run
# (run as: python scene_render_side_by_side.py FILE SHARED_DATA LABEL=PATH LABEL=PATH ...; one JSON line per timing).
import json, os, subprocess, sys, time

CHILD = """
import os, sys, time, numpy as np, inrcodec
assert os.path.dirname(os.path.dirname(inrcodec.__file__)) == os.getcwd(), inrcodec.__file__  # the checkout asked for
from inrcodec.signals.scene.io import load_scene
signal = load_scene(sys.argv[2] + '/nerf/lego', size=400, holdout=10)
data = open(sys.argv[1], 'rb').read()
start = time.perf_counter(); scene = inrcodec.decode_scene(data); decode = time.perf_counter() - start
views = scene.cameras(signal.held_out.poses)
start = time.perf_counter(); scene.render(views); render = time.perf_counter() - start
print(decode, render / len(views.poses))
"""
file, data, checkouts = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), [arg.split("=", 1) for arg in sys.argv[3:]]
for repeat in range(2):
    for label, path in checkouts:
        out = subprocess.run([sys.executable, "-c", CHILD, file, data], env={**os.environ, "PYTHONPATH": path}, cwd=path,  # python -c puts the working folder first on the path
                             capture_output=True, text=True, check=True).stdout.split()
        print(json.dumps({"file": sys.argv[1], "checkout": label, "repeat": repeat, "decode_s": round(float(out[0]), 2),
                          "render_s_per_400px_view": round(float(out[1]), 2), "date": time.strftime("%Y-%m-%d %H:%M")}), flush=True)
