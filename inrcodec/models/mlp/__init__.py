"""The skeleton of the MLP baselines: config and normative forward (``network``), trainable twin."""

from .network import MlpConfig, MlpNetwork

__all__ = ["MlpConfig", "MlpNetwork"]
