"""The encoder's wing: everything only encoding needs, and the only part of the codec that imports
PyTorch — the training loop (``fit``), the latent model's objective and fit, the rate model and
quantization-aware fine-tuning (``rate``, ``qat``), the thread policy (``runtime``), the encode
pipeline (``encoder``) and the rate search (``rate_control``). The decoder never imports it."""
