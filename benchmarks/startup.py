"""What a user waits for from the shell: ``inrcodec decode`` and ``inrcodec info`` of a default
768×512 file in a fresh process, beside the same decode (and ×4) in a warm process, for this code
and for the checkout at ``--baseline``, alternating between the two in one run.

    python -m benchmarks.startup [--baseline ../old-checkout] [--repeats 5]

The start-up cost is the cold command's median minus the warm decode's median (the issue's bar:
≤ 0.5 s). Run it with nothing else on the machine. Writes results/startup_<date>_<commit>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import REPO, RESULTS, fresh_result_path, run_description

DEFAULT_FILE = RESULTS / "files" / "2026-12-04" / "kodim05_latent_q4.inr"  # 768×512, the default quality
CLI = "import sys; sys.path.insert(0, sys.argv.pop(1)); from cli.main import main; main()"
WARM = """
import json, statistics, sys, time
tree, path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, tree)
import inrcodec
data = open(path, "rb").read()
def median(function):
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
print(json.dumps({"decode": median(lambda: inrcodec.decode_image(data)),
                  "decode_x4": median(lambda: inrcodec.decode_image(data, scale=4)),
                  "info": median(lambda: inrcodec.read_info(data))}))
"""


# As installed code runs: from its compiled bytecode (an untimed first run writes it), whatever this
# shell says about writing bytecode.
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def cold_seconds(tree: Path, arguments: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CLI, str(tree), *arguments], check=True, capture_output=True,
                   env=ENVIRONMENT)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    description = run_description(["python", "-m", "benchmarks.startup", *(sys.argv[1:] if argv is None else argv)])
    trees = {"this code": REPO} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    cold = {name: {"decode": [], "info": []} for name in trees}
    with tempfile.TemporaryDirectory() as folder:
        output = str(Path(folder) / "out.png")
        for tree in trees.values():
            cold_seconds(tree, ["decode", str(args.file), "-o", output, "-f"])  # compiles the bytecode
        for _ in range(args.repeats):  # alternating, so that a change in the machine's speed hits both
            for name, tree in trees.items():
                cold[name]["decode"].append(cold_seconds(tree, ["decode", str(args.file), "-o", output, "-f"]))
                cold[name]["info"].append(cold_seconds(tree, ["info", str(args.file)]))
    rows = []
    for name, tree in trees.items():
        warm = json.loads(subprocess.run([sys.executable, "-c", WARM, str(tree), str(args.file), str(args.repeats)],
                                         check=True, capture_output=True, text=True, env=ENVIRONMENT).stdout)
        decode, info = (statistics.median(cold[name][task]) for task in ("decode", "info"))
        rows.append(dict(code=name, tree=str(tree), cold_decode_s=decode, cold_info_s=info, warm_decode_s=warm["decode"],
                         warm_decode_x4_s=warm["decode_x4"], warm_info_s=warm["info"],
                         decode_start_up_s=decode - warm["decode"], info_start_up_s=info - warm["info"],
                         cold_runs=cold[name]))
    path = fresh_result_path("startup")
    path.write_text(json.dumps({"run": description, "file": str(args.file.relative_to(REPO)), "rows": rows}, indent=1))
    print(f"Run: {description}; {args.file.name}; medians of {args.repeats}; {path.name}.\n")
    print("| code | cold decode s | warm decode s | start-up s | cold info s | warm info s | start-up s | warm ×4 s |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['code']} | {row['cold_decode_s']:.2f} | {row['warm_decode_s']:.2f} | {row['decode_start_up_s']:.2f} "
              f"| {row['cold_info_s']:.2f} | {row['warm_info_s']:.2f} | {row['info_start_up_s']:.2f} "
              f"| {row['warm_decode_x4_s']:.2f} |")


if __name__ == "__main__":
    main()
