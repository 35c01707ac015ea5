"""The Reranking page's model table says what the reranker catalog (src/chroma_jina/models.py)
says, in both languages, and names the default and the retired models; its TypeScript example
sends what its first Python example sends."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from chroma_jina.models import DEFAULT_RERANKER, RERANKERS, RETIRED_RERANKERS

ROOT = Path(__file__).resolve().parents[2]
WORDS = {
    "en": {
        "listwise": "listwise",
        "pointwise": "pointwise",
        "text": "text",
        "image": "images",
        "sep": ", ",
        "refused": "refused over the caps",
        "split": "split and merged",
    },
    "zh": {
        "listwise": "列表式",
        "pointwise": "逐点式",
        "text": "文本",
        "image": "图像",
        "sep": "、",
        "refused": "超出上限即拒绝",
        "split": "拆分后合并",
    },
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_model_table_matches_the_catalog(lang: str) -> None:
    text = (ROOT / "docs" / lang / "reranking.md").read_text(encoding="utf-8")
    section = text[text.index("{#models}") :].split("\n## ", 1)[0]
    rows = {
        name: [cell.strip() for cell in cells.split("|")]
        for name, cells in re.findall(r"^\| `([^`]+)` \|(.*)\|\s*$", section, re.MULTILINE)
    }
    assert set(rows) == set(RERANKERS)
    w = WORDS[lang]
    for name, info in RERANKERS.items():
        assert rows[name] == [
            info.released,
            w["listwise"] if info.listwise else w["pointwise"],
            str(info.context),
            w["sep"].join(w[kind] for kind in info.inputs),
            w["refused"] if info.listwise else w["split"],
        ], f"{lang}/reranking.md: the row for {name} does not match the catalog"
    assert f"`{DEFAULT_RERANKER}`" in section
    assert all(name.removeprefix("jina-reranker-v1") in section for name in RETIRED_RERANKERS)


def _rerank_bodies(cassette: Path) -> list[dict]:
    interactions = yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]
    return [
        json.loads(i["request"]["body"])
        for i in interactions
        if i["request"]["uri"] == "https://api.jina.ai/v1/rerank"
    ]


@pytest.mark.parametrize("variant", ["", "zh/"])
def test_the_typescript_request_is_the_one_jina_reranker_sends(variant: str) -> None:
    """The page says the TypeScript example sends what `JinaReranker` sends for the first
    example: the recorded /v1/rerank bodies are the same."""
    python = _rerank_bodies(ROOT / "cassettes" / f"{variant}reranking.yaml")
    typescript = _rerank_bodies(ROOT / "cassettes" / f"{variant}ts" / "reranking.yaml")
    assert len(python) == len(typescript) == 1
    assert python == typescript
