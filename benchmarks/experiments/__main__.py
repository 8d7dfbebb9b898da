"""Run every experiment: ``python -m benchmarks.experiments --quick``."""

import sys

from . import ablations, ct, inpaint, spectral_bias, superres

for experiment in (spectral_bias, ablations, superres, inpaint, ct):
    print(f"\n## {experiment.__name__.rsplit('.', 1)[-1]}\n", flush=True)
    experiment.main(sys.argv[1:])
