from chroma_jina.models import DEFAULT_MODEL, MODELS, lookup


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
