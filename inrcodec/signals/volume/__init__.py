"""Shapes (occupancy fields): ``decode`` (geometry, coarse-to-fine rendering), ``io`` (meshes and grids),
``encode`` (presets, objective, IoU; imports PyTorch)."""
