"""Every Chinese page translates the current version of its English page (tests/docs/translations.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.docs.translations import ZH, Status, blob_id, mark, recorded, statuses

STATUSES = statuses()


def test_every_chinese_page_is_checked() -> None:
    assert len(STATUSES) == len(list(ZH.rglob("*.md"))) > 0


@pytest.mark.parametrize("status", STATUSES, ids=lambda s: s.page)
def test_chinese_page_translates_the_current_english_page(status: Status) -> None:
    assert not status.stale, status.explain()


def test_blob_id_is_what_git_computes(tmp_path: Path) -> None:
    """So that `git diff <recorded> <current>` finds both versions of the English page."""
    page = tmp_path / "page.md"
    page.write_bytes("# 标题\r\nline\n".encode())
    git = subprocess.run(
        ["git", "hash-object", str(page)], capture_output=True, text=True, check=True, timeout=30
    )
    assert blob_id(page) == git.stdout.strip()


def test_an_english_edit_makes_its_page_stale_and_mark_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.docs import translations

    (tmp_path / "en").mkdir()
    (tmp_path / "zh").mkdir()
    (tmp_path / "en" / "p.md").write_text("# Page\n\nOne.\n", encoding="utf-8")
    (tmp_path / "zh" / "p.md").write_text("# 页面\n\n一。\n", encoding="utf-8")
    monkeypatch.setattr(translations, "EN", tmp_path / "en")
    monkeypatch.setattr(translations, "ZH", tmp_path / "zh")

    assert [s.stale for s in translations.statuses()] == [True]
    assert "does not say which version" in translations.statuses()[0].explain()
    first = mark("p.md")
    assert recorded(tmp_path / "zh" / "p.md") == first
    assert (tmp_path / "zh" / "p.md").read_text(encoding="utf-8").endswith("# 页面\n\n一。\n")
    assert [s.stale for s in translations.statuses()] == [False]

    (tmp_path / "en" / "p.md").write_text("# Page\n\nOne. Two.\n", encoding="utf-8")
    [status] = translations.statuses()
    assert status.stale
    assert f"git diff {first[:12]} " in status.explain()
    assert mark("docs/zh/p.md") != first
    assert not translations.statuses()[0].stale
    assert (tmp_path / "zh" / "p.md").read_text(encoding="utf-8").count("translates:") == 1
