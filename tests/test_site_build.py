from pathlib import Path


def test_strict_build_produces_both_languages(built_site: Path) -> None:
    assert (built_site / "index.html").is_file()
    zh_home = (built_site / "zh" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in zh_home
