"""The 3-D latent-grid scene model, all in this folder: the config and normative forward
(``network``), the live latents and their coding (``coding``), and on the encoder's side the
trainable twin and the latents' rate (``trainable``)."""

from .network import Latent3dConfig, Latent3dNetwork

__all__ = ["Latent3dConfig", "Latent3dNetwork"]
