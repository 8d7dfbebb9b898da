"""The latent-grid image model, all in this folder: the config and normative forward (``network``),
the latents' exact context model and coding (``coding``), and on the encoder's side the trainable
twin (``trainable``), the tiled training objective (``objective``) and the fit (``fit``)."""

from .network import LatentConfig, LatentNetwork

__all__ = ["LatentConfig", "LatentNetwork"]
