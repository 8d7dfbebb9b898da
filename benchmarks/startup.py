"""What a user waits for from the shell: ``inrcodec decode`` and ``inrcodec info`` of a default
768×512 file in a fresh process, beside the same decode (and ×4) in a warm process, for this code
and for the checkout at ``--baseline``, alternating between the two in one run.

    python -m benchmarks.startup [--baseline ../old-checkout] [--repeats 5]

Each cold command runs beside a warm process's decode (or info) of the same moment, so that the
machine's changing speed hits both; the start-up cost is the median over the repetitions of the cold
command's wall time minus the warm call's (the issue's bar: ≤ 0.5 s). Run it with nothing else on the machine. Writes results/startup_<date>_<commit>.json.
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
import sys, time
sys.path.insert(0, sys.argv[1])
import inrcodec
data = open(sys.argv[2], "rb").read()
tasks = {"decode": lambda: inrcodec.decode_image(data), "decode_x4": lambda: inrcodec.decode_image(data, scale=4),
         "info": lambda: inrcodec.read_info(data)}
for task in tasks.values():
    task()  # warm-up
print("ready", flush=True)
for line in sys.stdin:
    start = time.perf_counter()
    tasks[line.strip()]()
    print(time.perf_counter() - start, flush=True)
"""
# As installed code runs: from its compiled bytecode (an untimed first run writes it), whatever this
# shell says about writing bytecode.
ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


class WarmProcess:
    """A process that has decoded the file already: asked for a task, it times it in-process."""

    def __init__(self, tree: Path, path: Path):
        self.process = subprocess.Popen([sys.executable, "-c", WARM, str(tree), str(path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env=ENVIRONMENT)
        assert self.process.stdout.readline().strip() == "ready"

    def seconds(self, task: str) -> float:
        self.process.stdin.write(task + "\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


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
    runs = {name: {task: [] for task in ("cold_decode", "warm_decode", "cold_info", "warm_info", "warm_decode_x4")}
            for name in trees}
    with tempfile.TemporaryDirectory() as folder:
        output = str(Path(folder) / "out.png")
        warm = {}
        for name, tree in trees.items():
            cold_seconds(tree, ["decode", str(args.file), "-o", output, "-f"])  # compiles the bytecode
            warm[name] = WarmProcess(tree, args.file)
        for _ in range(args.repeats):  # each cold command beside a warm decode of the same moment
            for name, tree in trees.items():
                times = runs[name]
                times["cold_decode"].append(cold_seconds(tree, ["decode", str(args.file), "-o", output, "-f"]))
                times["warm_decode"].append(warm[name].seconds("decode"))
                times["cold_info"].append(cold_seconds(tree, ["info", str(args.file)]))
                times["warm_info"].append(warm[name].seconds("info"))
                times["warm_decode_x4"].append(warm[name].seconds("decode_x4"))
        for process in warm.values():
            process.close()
    rows = []
    for name, tree in trees.items():
        times = runs[name]
        median = {task: statistics.median(values) for task, values in times.items()}
        start_up = {task: statistics.median(c - w for c, w in zip(times[f"cold_{task}"], times[f"warm_{task}"]))
                    for task in ("decode", "info")}
        rows.append(dict(code=name, tree=str(tree), cold_decode_s=median["cold_decode"],
                         cold_info_s=median["cold_info"], warm_decode_s=median["warm_decode"],
                         warm_decode_x4_s=median["warm_decode_x4"], warm_info_s=median["warm_info"],
                         decode_start_up_s=start_up["decode"], info_start_up_s=start_up["info"], runs=times))
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
