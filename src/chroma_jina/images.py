"""Images as a viewer shows them: 8-bit RGB or RGBA pixels, whatever the file or array holds.

A palette PNG, a CMYK JPEG, a greyscale image with alpha, a 16-bit PNG or a photo rotated by its
EXIF tag all reach the API as the picture an image viewer shows. `ImageLoader` stands in for
Chroma's data loader (`data_loader=` with `uris=`); the embedding function takes numpy arrays and
PIL images alike. Pillow is imported only when an image file or a PIL image is used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from chroma_jina.wire import PILLOW_MISSING

_TO_RGBA = frozenset({"PA", "LA", "La", "RGBa", "RGBA"})
_SIXTEEN_BITS = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})


def is_pil_image(item: object) -> bool:
    """True for a PIL image (without importing Pillow: no PIL image exists unless it is loaded)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(item, module.Image)


def viewable(image: Any) -> Any:
    """A PIL image as a viewer shows it: turned upright by its EXIF orientation, in RGB (RGBA
    when it has transparency), 8 bits a channel."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image) or image
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        return image
    if mode in _SIXTEEN_BITS or mode in ("I", "F"):
        values = np.asarray(image).astype(np.float64)
        # Mode "I" holds 16-bit samples (Pillow opens some 16-bit PNGs so), a dark image too:
        # its samples all at or below 255 must not be taken for 8 bits
        scale = 257.0
        if mode == "F":
            scale = 1 / 255 if values.size and values.max() <= 1 else 1.0
        grey = np.clip(np.rint(values / scale), 0, 255).astype(np.uint8)
        return Image.fromarray(grey).convert("RGB")
    if mode in _TO_RGBA or "transparency" in image.info:
        return image.convert("RGBA")
    return image.convert("RGB")  # P, 1, L, CMYK, YCbCr, LAB, HSV


def pixels(item: Any) -> np.ndarray:
    """8-bit RGB or RGBA pixels, shape (h, w, 3|4), of a PIL image or an image array.

    Arrays are read as Chroma and numpy hold images: (h, w) or (h, w, 1) greyscale, (h, w, 3)
    RGB, (h, w, 4) RGBA; uint8, or whole numbers 0..255 in another integer type; uint16 as
    16 bits a sample; bool as black and white; floats in [0, 1]. Raises ValueError, naming the
    conversion to make, for an array that cannot be read so."""
    if is_pil_image(item):
        return np.asarray(viewable(item))
    image = np.asarray(item)
    if image.ndim not in (2, 3):
        raise ValueError(
            f"an image array must have shape (h, w) or (h, w, channels), got {image.shape}; "
            f"for a batch, pass each image as its own input"
        )
    if image.size == 0:
        raise ValueError(f"image is empty (shape {image.shape})")
    channels = 1 if image.ndim == 2 else image.shape[2]
    if channels == 2:
        raise ValueError(
            f"image shape {image.shape} has 2 channels (greyscale and alpha?): pass the PIL "
            f"image, or PIL.Image.fromarray(array, 'LA').convert('RGBA')"
        )
    if channels not in (1, 3, 4):
        raise ValueError(
            f"image shape {image.shape} must be (h, w) or (h, w, 1|3|4) "
            f"(greyscale, RGB, RGBA); for CMYK pass the PIL image, or "
            f"PIL.Image.fromarray(array, 'CMYK').convert('RGB')"
        )
    eight = _eight_bits(image)
    if eight.ndim == 3 and channels == 1:
        eight = eight[:, :, 0]
    if eight.ndim == 2:
        eight = np.repeat(eight[:, :, None], 3, axis=2)
    return eight


def _eight_bits(image: np.ndarray) -> np.ndarray:
    kind = image.dtype.kind
    if image.dtype == np.uint8:
        return image
    if kind == "b":
        return image.astype(np.uint8) * 255
    if image.dtype == np.uint16:
        return np.rint(image / 257.0).astype(np.uint8)
    if kind in "iu":
        low, high = int(image.min()), int(image.max())
        if low < 0 or high > 255:
            raise ValueError(
                f"image pixels must be 0..255 for dtype {image.dtype}, got {low}..{high}: for "
                f"16-bit samples pass a uint16 array (array.astype(np.uint16)) or the PIL image; "
                f"else scale them to 0..255 and use array.astype(np.uint8)"
            )
        return image.astype(np.uint8)
    if kind == "f":
        if not np.isfinite(image).all():
            raise ValueError("image pixels must be finite numbers, got NaN or infinity")
        least, most = float(image.min()), float(image.max())
        if least < 0 or most > 1:
            raise ValueError(
                f"float image pixels must be in [0, 1], got {least:g}..{most:g}: for 0..255 "
                f"values use array.astype(np.uint8), else (array * 255).round().astype(np.uint8) "
                f"from [0, 1]"
            )
        scaled: np.ndarray = np.rint(image * 255).astype(np.uint8)
        return scaled
    raise ValueError(
        f"image pixels must be numbers, got dtype {image.dtype}: convert with "
        f"array.astype(np.uint8) (0..255)"
    )


def load(path: str | os.PathLike[str], max_side: int | None = None) -> np.ndarray:
    """The pixels of an image file as a viewer shows it (see `pixels`), shrunk to at most
    `max_side` pixels on its long side when given (the aspect ratio kept; never enlarged)."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(PILLOW_MISSING) from exc
    with Image.open(path) as image:
        image.load()
        if max_side is None:
            return pixels(image)
        shown = viewable(image)
        shown.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return pixels(shown)


class ImageLoader:
    """A Chroma data loader that loads image files as a viewer shows them; use it in place of
    `chromadb.utils.data_loaders.ImageLoader` (which hands a palette PNG over as palette
    indices and a CMYK JPEG as 4 channels read as RGBA):

        collection = client.create_collection(
            "photos", embedding_function=jina, data_loader=chroma_jina.ImageLoader()
        )
        collection.add(ids=["cat"], uris=["cat.png"])

    `max_side` shrinks each image to at most that many pixels on its long side (a phone photo
    sent whole, as PNG, is far over the 8 MB Jina documents). Returns 8-bit RGB or RGBA numpy
    arrays, None for a None uri."""

    def __init__(self, max_workers: int | None = None, max_side: int | None = None) -> None:
        if max_side is not None and (
            not isinstance(max_side, int) or isinstance(max_side, bool) or max_side < 1
        ):
            raise ValueError(f"max_side must be a whole number of pixels >= 1, got {max_side!r}")
        try:
            import PIL.Image  # noqa: F401  (fail at creation, as Chroma's loader does)
        except ImportError as exc:
            raise ImportError(PILLOW_MISSING) from exc
        self.max_workers = max_workers or min(8, os.cpu_count() or 1)
        self.max_side = max_side

    def __call__(self, uris: Sequence[str | None]) -> list[np.ndarray | None]:
        """Load each uri (a file path) in order."""

        def one(uri: str | None) -> np.ndarray | None:
            return None if uri is None else load(uri, self.max_side)

        if len(uris) <= 1:
            return [one(uri) for uri in uris]
        with ThreadPoolExecutor(self.max_workers) as pool:
            return list(pool.map(one, uris))
