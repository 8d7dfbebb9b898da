"""Images: ``decode`` (geometry, normative rendering), ``io`` (Pillow), ``encode`` (presets, objective,
measures; imports PyTorch)."""
