"""Quality metrics, always from scikit-image so our figures match everyone else's. scikit-image is
imported on first use: it pulls in SciPy (0.6 s here), which a decode or `--help` never needs."""

import numpy as np


def psnr(reference: np.ndarray, decoded: np.ndarray) -> float:
    """PSNR in dB over all channels, with the data range of the reference's integer type."""
    from skimage.metrics import peak_signal_noise_ratio

    data_range = 65535 if reference.dtype == np.uint16 else 255
    return float(peak_signal_noise_ratio(reference, decoded, data_range=data_range))


def ssim(reference: np.ndarray, decoded: np.ndarray) -> float | None:
    """SSIM (uniform 7×7 window, scikit-image defaults), averaged over channels; None for pictures
    smaller than the window, where SSIM is not defined."""
    from skimage.metrics import structural_similarity

    data_range = 65535 if reference.dtype == np.uint16 else 255
    reference, decoded = np.atleast_3d(reference), np.atleast_3d(decoded)
    if min(reference.shape[:2]) < 7:
        return None
    return float(structural_similarity(reference, decoded, data_range=data_range, channel_axis=2))


def bits_per_pixel(n_bytes: int, width: int, height: int) -> float:
    return 8 * n_bytes / (width * height)
