"""The compatibility suite (compatibility/checks.py) runs, ours passes every check, the built-in's
known defects show up as failures, and the Migrating page shows the matrix it measured."""

from __future__ import annotations

import importlib

import pytest

from tests.support.paths import ROOT


def test_contract_matrix() -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(ROOT))
        measured = importlib.import_module("compatibility.checks").run()
        matrix = importlib.import_module("compatibility.matrix")
    rows = {r["check"]: r for r in measured}
    assert len(rows) >= 40
    assert [c for c, r in rows.items() if not r["chroma-jina"]] == []
    builtin_fails = {c for c, r in rows.items() if not r["built-in"]}
    for defect in (
        "text-only use works without Pillow installed",
        "base64 decodes to the float32 vectors",
        "validate_config_update accepts an unchanged model",
        "429 is retried (then all vectors)",
        "600 inputs in one call on v4 (512-item cap): all vectors",
    ):
        assert defect in builtin_fails
    for lang in ("en", "zh"):
        page = (ROOT / "docs" / lang / "migrating.md").read_text(encoding="utf-8")
        assert matrix.block(measured, lang) in page, (
            f"docs/{lang}/migrating.md does not show the measured compatibility matrix: "
            "run make contract"
        )
