"""Multiplicative filter networks: the config and normative forward (``network``); the trainable twin is ``trainable``."""

from .network import *  # noqa: F401,F403
from .network import __all__
