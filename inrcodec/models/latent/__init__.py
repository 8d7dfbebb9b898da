"""The latent-grid image model: the config and normative forward (``network``); the trainable twin is
``trainable``."""

from .network import LatentConfig, LatentNetwork

__all__ = ["LatentConfig", "LatentNetwork"]
