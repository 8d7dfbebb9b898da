"""Calibration of the decoder's work bound: measured render time and peak memory against the
render plan's multiply-add (MAC) count and memory estimate, for every model family from codec
sizes to the widest legal networks.

The decoder (NumPy) refuses files whose plan exceeds ``DecodeLimits`` (default 2^40 MAC
equivalents, meant as about 20 s here). That only bounds time if seconds per MAC stay within a small factor across every legal
configuration — wide and narrow, deep and shallow, high and low Chebyshev degree, every activation —
which is what this measures. Each configuration renders in its own process so that its peak RSS is
its own.

    python -m benchmarks.work
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

from inrcodec.models.base import ELEMENTWISE_MACS, TRANSCENDENTAL_MACS
from inrcodec.render import DEFAULT_MAX_MACS

from .common import RESULTS, fresh_result_path, run_description

# (family, config fields, output side): from codec sizes to the widest legal networks
CASES = [
    ("sl2a", dict(width=26, degree=64, hidden_layers=3), 1024),
    ("sl2a", dict(width=64, degree=192, hidden_layers=3), 1024),
    ("sl2a", dict(width=1024, degree=0, hidden_layers=3), 96),
    ("sl2a", dict(width=1024, degree=1024, hidden_layers=0), 192),
    ("sl2a", dict(width=1, degree=1024, hidden_layers=16), 1024),
    ("sl2a", dict(width=8, degree=4, hidden_layers=16), 1024),
    ("sl2a", dict(width=256, degree=64, hidden_layers=16, rank=8), 256),
    ("siren", dict(width=64, hidden_layers=3), 512),
    ("siren", dict(width=512, hidden_layers=8), 128),
    ("siren", dict(width=4, hidden_layers=16), 1024),
    ("finer", dict(width=64, hidden_layers=3), 512),
    ("wire", dict(width=64, hidden_layers=3), 256),
    ("wire", dict(width=400, hidden_layers=6), 96),
    ("gauss", dict(width=64, hidden_layers=3), 512),
    ("relu_pe", dict(width=64, hidden_layers=3, frequencies=24), 512),
    ("staf", dict(width=64, hidden_layers=3, terms=64), 192),
    ("staf", dict(width=1024, hidden_layers=3, terms=64), 64),
    ("mfn", dict(width=64, hidden_layers=3), 512),
    ("mfn_gabor", dict(width=256, hidden_layers=16), 128),
]

CHILD = r"""
import json, resource, sys, time
import torch
from inrcodec.models import REGISTRY, build_model, build_network
from inrcodec.signals.image.decode import ImageGeometry, image_render_plan, render_image
family, fields, side = json.loads(sys.argv[1])
config = REGISTRY[family].config_class(2, 3, **fields)
geometry = ImageGeometry(side, side, 3, 8)
plan = image_render_plan(config, geometry, side, side)
torch.manual_seed(0)  # the trainable twin's initial weights, rendered by the decoder's network
model = build_network(config, {name: p.detach().numpy() for name, p in build_model(config).named_parameters()})
del torch
render_image(model, geometry, image_render_plan(config, geometry, 16, 16))  # warm-up
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
render_image(model, geometry, plan)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(macs=plan.macs, ops=[plan.ops.multiply_adds, plan.ops.elementwise, plan.ops.transcendental], seconds=seconds, tile=plan.tile, estimate_mb=plan.memory_bytes / 2**20,
                      growth_mb=(peak - before) / 1024, parameters=config.parameter_count())))
"""


def measure(case) -> dict:
    output = subprocess.run([sys.executable, "-c", CHILD, json.dumps(case)], capture_output=True,
                            text=True, check=True).stdout
    return json.loads(output)


def fitted_costs(rows) -> tuple[float, float, float]:
    """Seconds per multiply-add, per elementwise op and per transcendental that best explain the
    measured times (non-negative least squares on relative error)."""
    from scipy.optimize import nnls

    counts = np.array([row["ops"] for row in rows], dtype=float)
    seconds = np.array([row["seconds"] for row in rows])
    costs, _ = nnls(counts / seconds[:, None], np.ones(len(rows)))
    return tuple(costs)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    description = run_description(["python", "-m", "benchmarks.work"])
    output = fresh_result_path("work")  # named for the commit the run starts at
    rows = []
    for family, fields, side in CASES:
        result = measure((family, fields, side))
        row = dict(family=family, config=fields, side=side, **result,
                   ns_per_mac=1e9 * result["seconds"] / result["macs"])
        rows.append(row)
        print(f"{family:9} {str(fields):58} {side:5}² {row['macs']:.2e} MAC {row['seconds']:7.2f} s "
              f"{row['ns_per_mac']:.3f} ns/MAC  RSS +{row['growth_mb']:.0f} MB "
              f"(plan {row['estimate_mb']:.0f} MB)", file=sys.stderr, flush=True)
    worst = max(row["ns_per_mac"] for row in rows)
    multiply_add, elementwise, transcendental = fitted_costs(rows)
    summary = dict(run=description, rows=rows, worst_ns_per_mac=worst,
                   fitted_ns=dict(multiply_add=multiply_add * 1e9, elementwise=elementwise * 1e9,
                                  transcendental=transcendental * 1e9))
    RESULTS.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(summary, indent=1))
    print(f"Run: {description}; {output.name}.")
    print("| model | config | output | MACs | seconds | ns per MAC | RSS growth MB | plan MB |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        config = ", ".join(f"{k}={v}" for k, v in row["config"].items())
        print(f"| {row['family']} | {config} | {row['side']}² | {row['macs']:.2e} | {row['seconds']:.2f} "
              f"| {row['ns_per_mac']:.3f} | {row['growth_mb']:.0f} | {row['estimate_mb']:.0f} |")
    print(f"Fitted: a multiply-add {multiply_add * 1e9:.4f} ns, an elementwise op "
          f"{elementwise * 1e9:.3f} ns ({elementwise / multiply_add:.0f} MACs; the code counts "
          f"{ELEMENTWISE_MACS}), a transcendental {transcendental * 1e9:.3f} ns "
          f"({transcendental / multiply_add:.0f} MACs; the code counts {TRANSCENDENTAL_MACS}).")
    print(f"Slowest: {worst:.3f} ns per MAC, so the default limit of {DEFAULT_MAX_MACS:.3g} MACs is "
          f"at most {worst * DEFAULT_MAX_MACS / 1e9:.1f} s of rendering here.")


if __name__ == "__main__":
    main()
