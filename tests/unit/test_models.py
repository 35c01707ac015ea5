"""models.py: the catalog of models, checked against Jina's own catalog where it is here."""

import json
from pathlib import Path

from chroma_jina.models import DEFAULT_MODEL, FOR_CJK_TEXT, MODELS, lookup


def test_default_model_is_in_the_catalog() -> None:
    assert lookup(DEFAULT_MODEL) is MODELS[DEFAULT_MODEL]


def test_matryoshka_range_ends_at_full_dimension() -> None:
    for info in MODELS.values():
        if info.matryoshka is not None:
            low, high = info.matryoshka
            assert 0 < low < high == info.dimensions, info.name
            assert "dimensions" in info.fields, info.name
        else:
            assert "dimensions" not in info.fields, info.name


def test_languages_are_the_reference_catalogs(captures: Path) -> None:
    """Each model's languages as Jina's catalog lists them ("English, Chinese" -> two)."""
    catalog = json.loads((captures / "jina-model-catalog-2026-08.json").read_text(encoding="utf-8"))
    listed = {m["id"]: tuple(m["language"].split(", ")) for m in catalog["models"]}
    assert {name: info.languages for name, info in MODELS.items()} == {
        name: listed[name] for name in MODELS
    }


def test_models_suggested_for_cjk_text_read_chinese() -> None:
    assert all(MODELS[name].reads_chinese for name in FOR_CJK_TEXT)
    assert not MODELS[DEFAULT_MODEL].reads_chinese
