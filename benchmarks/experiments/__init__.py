"""The SL²A-INR paper's experiments beyond compression, reproduced with inrcodec's own models:
super-resolution, inpainting, CT reconstruction, spectral bias and ablations.

    python -m benchmarks.experiments --quick      # all five, minutes on a 2-core CPU
    python -m benchmarks.experiments.superres --quick   # one at a time

Each writes its table (Markdown) and pictures (PNG) to benchmarks/results/experiments/.
"""
