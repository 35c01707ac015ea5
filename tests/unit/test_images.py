"""Images reach the API as a viewer shows them (issue 23): palette, CMYK, greyscale with alpha,
16-bit and EXIF-rotated files, through `chroma_jina.ImageLoader` or as PIL images; arrays the
library cannot read are refused naming the conversion; images are estimated by their size.

Before: chromadb's ImageLoader sent a red palette PNG as a grey image of its palette indices
(pixel 15), a red CMYK JPEG as RGBA (0, 255, 255, 0), and (with Pillow versions that open it
as mode I) a 16-bit PNG was refused."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from pathlib import Path

import chromadb
import httpx
import numpy as np
import pytest
from PIL import Image

from chroma_jina import ImageLoader, JinaEmbeddingFunction
from chroma_jina.planning import Job, estimate_tokens, image_tokens, plan_batches
from chroma_jina.testing import JinaEmulator

KEY = "jina_offline_emulator_key"
RED = (255, 0, 0)


def files(folder: Path) -> dict[str, Path]:
    red = Image.new("RGB", (8, 6), RED)
    made = {
        "palette": red.convert("P"),
        "cmyk": red.convert("CMYK"),
        "grey_alpha": Image.new("LA", (8, 6), (128, 200)),
        "grey16": Image.fromarray(np.full((6, 8), 40000, np.uint16)),
        "bilevel": Image.new("1", (8, 6), 1),
    }
    paths = {}
    for name, image in made.items():
        paths[name] = folder / (f"{name}.jpg" if name == "cmyk" else f"{name}.png")
        image.save(paths[name], **({"quality": 100} if name == "cmyk" else {}))
    rotated = Image.new("RGB", (8, 6), RED)
    exif = rotated.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to show upright
    paths["rotated"] = folder / "rotated.jpg"
    rotated.save(paths["rotated"], exif=exif, quality=100)
    return paths


def sent_images(emu: JinaEmulator) -> list[Image.Image]:
    return [
        Image.open(io.BytesIO(base64.b64decode(item["image"])))
        for r in emu.requests
        for item in r.json["input"]
        if isinstance(item, dict) and "image" in item
    ]


EXPECTED = {  # mode, (width, height), centre pixel of what reached the API
    "palette": ("RGB", (8, 6), RED),
    "grey_alpha": ("RGBA", (8, 6), (128, 128, 128, 200)),
    "grey16": ("RGB", (8, 6), (156, 156, 156)),  # 40000 / 257
    "bilevel": ("RGB", (8, 6), (255, 255, 255)),
    "rotated": ("RGB", (6, 8), None),  # upright: the EXIF tag applied
}


def check(name: str, image: Image.Image) -> None:
    if name == "cmyk":  # JPEG is lossy: red within a few levels
        assert image.mode == "RGB" and image.size == (8, 6)
        assert np.abs(np.asarray(image)[3, 4].astype(int) - RED).max() <= 8, name
        return
    mode, size, pixel = EXPECTED[name]
    assert (image.mode, image.size) == (mode, size), name
    if pixel is not None:
        assert image.getpixel((4, 3)) == pixel, name


# chromadb warns that it cannot rebuild the function from the saved config: the key was given as
# api_key, which is never persisted (test_config.py asserts that case)
@pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function jina")
def test_the_image_loader_sends_each_file_as_a_viewer_shows_it(tmp_path: Path) -> None:
    paths = files(tmp_path)
    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY, "jina-clip-v2", http_client=httpx.Client(transport=emu.transport())
    )
    collection = chromadb.EphemeralClient().create_collection(
        "viewer", embedding_function=ef, data_loader=ImageLoader()
    )
    collection.add(ids=list(paths), uris=[str(p) for p in paths.values()])
    for name, image in zip(paths, sent_images(emu), strict=True):
        check(name, image)
    got = collection.query(query_uris=[str(paths["grey_alpha"])], n_results=1, include=[])
    assert got["ids"] == [["grey_alpha"]]


def test_pil_images_are_taken_as_they_are_shown(tmp_path: Path) -> None:
    paths = files(tmp_path)
    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY, "jina-clip-v2", http_client=httpx.Client(transport=emu.transport())
    )
    vectors = ef([Image.open(p) for p in paths.values()])
    assert len(vectors) == len(paths)
    for name, image in zip(paths, sent_images(emu), strict=True):
        check(name, image)


def test_a_dark_16_bit_image_in_mode_i_is_not_taken_for_8_bits() -> None:
    """Mode I is how some Pillow versions open a 16-bit PNG. Its samples were scaled only when
    one exceeded 255, so a dark image (all at or below 255) was sent up to 257 times too bright."""
    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY, "jina-clip-v2", http_client=httpx.Client(transport=emu.transport())
    )
    dark = Image.fromarray(np.full((6, 8), 200, np.int32), "I")
    bright = Image.fromarray(np.full((6, 8), 40000, np.int32), "I")
    ef([dark, bright])
    sent = [np.asarray(image) for image in sent_images(emu)]
    assert (sent[0] == 1).all() and (sent[1] == 156).all()  # 200 / 257, 40000 / 257


def test_arrays_the_library_reads(tmp_path: Path) -> None:
    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY, "jina-clip-v2", http_client=httpx.Client(transport=emu.transport())
    )
    ef(
        [
            np.full((4, 4), 0.5),  # floats in [0, 1]
            np.full((4, 4, 1), 40000, np.uint16),  # 16 bits a sample
            np.ones((4, 4), bool),  # black and white
            np.full((4, 4, 4), 7, np.int64),  # whole numbers 0..255, RGBA
        ]
    )
    got = [image.getpixel((1, 1)) for image in sent_images(emu)]
    assert got == [(128, 128, 128), (156, 156, 156), (255, 255, 255), (7, 7, 7, 7)]


@pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function jina")
def test_with_the_pinned_pillow_a_16_bit_png_passes_chromas_own_loader(tmp_path: Path) -> None:
    """What the Images page says of Chroma's own path (numpy.asarray of the opened file): with
    the Pillow in uv.lock a 16-bit greyscale PNG opens as I;16, a uint16 array, sent as the grey
    it shows. (Pillow versions that open it as mode I give int32, which is refused.) And
    Chroma's add(images=...) takes numpy arrays, not PIL images."""
    from chromadb.utils.data_loaders import ImageLoader as ChromaImageLoader

    path = files(tmp_path)["grey16"]
    with Image.open(path) as opened:
        assert opened.mode == "I;16"
        assert np.asarray(opened).dtype == np.uint16
    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY, "jina-clip-v2", http_client=httpx.Client(transport=emu.transport())
    )
    collection = chromadb.EphemeralClient().create_collection(
        "grey16", embedding_function=ef, data_loader=ChromaImageLoader()
    )
    collection.add(ids=["grey16"], uris=[str(path)])
    check("grey16", sent_images(emu)[0])
    with Image.open(path) as pil, pytest.raises(ValueError, match="numpy array"):
        collection.add(ids=["pil"], images=[pil])


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.zeros((4, 4, 2), np.uint8), ["2 channels", "'LA'", "convert('RGBA')"]),
        (np.zeros((4, 4, 5), np.uint8), ["(h, w, 1|3|4)", "CMYK"]),
        (np.full((4, 4, 3), 2.0), ["[0, 1]", "astype(np.uint8)"]),
        (np.full((4, 4, 3), np.nan), ["finite"]),
        (np.full((4, 4), 300, np.int32), ["0..255", "uint16"]),
        (np.zeros((2, 4, 4, 3), np.uint8), ["shape (2, 4, 4, 3)", "PIL image"]),
        (np.array([["a"]]), ["dtype <U1", "astype(np.uint8)"]),
    ],
)
def test_arrays_it_cannot_read_are_refused_naming_the_conversion(array, words) -> None:
    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY, "jina-clip-v2", http_client=httpx.Client(transport=emu.transport())
    )
    with pytest.raises(ValueError, match="input 1") as info:
        ef(["a caption", array])
    assert all(w in str(info.value) for w in words), str(info.value)
    assert emu.requests == []


def test_images_are_estimated_by_their_size_as_jina_bills_them() -> None:
    """1,000 tokens per 224x224 tile: 16,000 for 896x896 (simonw/llm-jina-api#1). Before, 1,000
    each, so 20 such images went in one request estimated at 20,000 tokens and billed 320,000."""
    assert image_tokens(896, 896) == 16_000 and image_tokens(10, 10) == 1_000
    assert image_tokens(225, 224) == 2_000
    big = np.zeros((896, 896, 3), np.uint8)
    assert estimate_tokens(big) == 16_000
    job = Job("jina-clip-v2", [big] * 20, {}, "float", 1024)
    assert [len(b) for b in plan_batches(job, 512, 128_000)] == [8, 8, 4]


def test_pillow_stays_optional() -> None:
    program = (
        "import sys; sys.modules['PIL'] = None; sys.modules['PIL.Image'] = None\n"
        "import chroma_jina\n"
        "try:\n    chroma_jina.ImageLoader()\n"
        "except ImportError as e:\n    print(e)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'Pillow>=10'" in run.stdout


@pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function jina")
def test_the_image_loader_shrinks_to_max_side_upright(tmp_path: Path) -> None:
    """ImageLoader(max_side=...) is the Images page's way to keep photos under Jina's 8 MB: the
    long side is cut to max_side after the EXIF orientation is applied, the aspect ratio kept,
    and a smaller image is sent as it is."""
    photo = Image.new("RGB", (400, 300), RED)
    exif = photo.getexif()
    exif[0x0112] = 6  # shown upright as 300 wide, 400 high
    photo.save(tmp_path / "photo.jpg", exif=exif, quality=95)
    Image.new("RGB", (40, 30), RED).save(tmp_path / "small.png")
    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(
        KEY, "jina-clip-v2", http_client=httpx.Client(transport=emu.transport())
    )
    collection = chromadb.EphemeralClient().create_collection(
        "shrunk", embedding_function=ef, data_loader=ImageLoader(max_side=100)
    )
    collection.add(
        ids=["photo", "small"], uris=[str(tmp_path / n) for n in ("photo.jpg", "small.png")]
    )
    sizes = [image.size for image in sent_images(emu)]
    assert sizes == [(75, 100), (40, 30)]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "1024"])
def test_the_image_loader_refuses_a_max_side_that_is_not_a_size(bad: object) -> None:
    with pytest.raises(ValueError, match="max_side"):
        ImageLoader(max_side=bad)  # type: ignore[arg-type]
