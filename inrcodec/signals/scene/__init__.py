"""Scenes (radiance fields): ``decode`` (geometry, cameras, the normative ray marcher), ``io`` (Blender
folders, hull carving, views), ``encode`` (presets, training rays, measures; imports PyTorch)."""
