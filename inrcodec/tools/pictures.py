"""Pictures for people: labelled side-by-side panels (demo, comparisons)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont


CAPTION_HEIGHT = 36
GAP = 8


def side_by_side(panels: list[tuple[np.ndarray, str]]) -> Image.Image:
    """Images of equal height in a row, each with a caption of up to two lines under it."""
    font = ImageFont.load_default(size=13)
    height = max(pixels.shape[0] for pixels, _ in panels)
    width = sum(pixels.shape[1] for pixels, _ in panels) + GAP * (len(panels) + 1)
    canvas = Image.new("RGB", (width, height + CAPTION_HEIGHT + 2 * GAP), "white")
    draw = ImageDraw.Draw(canvas)
    left = GAP
    for pixels, caption in panels:
        image = Image.fromarray(pixels if pixels.shape[2] != 1 else pixels[:, :, 0]).convert("RGB")
        canvas.paste(image, (left, GAP))
        draw.multiline_text((left, height + GAP + 4), caption, fill="black", font=font, spacing=2)
        left += pixels.shape[1] + GAP
    return canvas
