"""SL²A-INR: the config and normative forward (``network``); the trainable twin is ``trainable``."""

from .network import Sl2aConfig, Sl2aNetwork

__all__ = ["Sl2aConfig", "Sl2aNetwork"]
