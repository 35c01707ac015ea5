"""Every example with recorded outputs says where they were recorded, in the page's language.

The source comes from the snippet's cassette (hooks/cassette_provenance.py) and is written under the
code block at build time by hooks/recorded_from.py. Checked here on the built site (every page of
both languages) and, for recordings from the real API, which no cassette holds yet, on synthetic
cassettes.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import recorded_from as hook
import yaml
from cassette_provenance import ProvenanceError, RecordedFrom, provenance, recorded_from
from docs_examples import LANGUAGES, ROOT, page_includes, pages
from mkdocs.exceptions import PluginError

NOTE = re.compile(
    r'<p class="recorded-from" data-recorded-from="(?P<kind>[a-z]+)"><small>(?P<text>.*?)</small></p>'
)
WORDS = {"en": "Output recorded from the", "zh": "以上输出录制自"}


def cassette(path: Path, headers: list[dict[str, list[str]]]) -> Path:
    """A cassette file with one interaction per response-header set."""
    interactions = [
        {
            "request": {"method": "POST", "uri": "https://api.jina.ai/v1/embeddings", "body": "{}"},
            "response": {"status": {"code": 200}, "headers": h, "body": {"string": "{}"}},
        }
        for h in headers
    ]
    path.write_text(yaml.safe_dump({"interactions": interactions, "version": 1}), encoding="utf-8")
    return path


EMULATED = {"x-emulated-by": ["chroma-jina-emulator/0.1.0"], "content-type": ["application/json"]}
REAL = {"Date": ["Tue, 01 Dec 2026 09:30:00 GMT"], "content-type": ["application/json"]}


def test_an_emulator_cassette_names_the_emulator_version(tmp_path: Path) -> None:
    path = cassette(tmp_path / "e.yaml", [EMULATED, EMULATED])
    assert provenance(path) == "emulated"
    assert recorded_from(path) == RecordedFrom("emulator", emulator_version="0.1.0")


def test_a_real_cassette_is_dated_by_its_first_response(tmp_path: Path) -> None:
    later = {"date": ["Wed, 02 Dec 2026 00:00:01 GMT"]}
    path = cassette(tmp_path / "r.yaml", [REAL, later])
    assert provenance(path) == "real"
    source = recorded_from(path)
    assert (source.kind, str(source.day)) == ("api", "2026-12-01")


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ([EMULATED, REAL], "mixes"),
        ([{"content-type": ["application/json"]}], "no `date`"),
        ([{"date": ["yesterday"]}], "unreadable date"),
        ([{"x-emulated-by": ["chroma-jina-emulator/"]}], "one chroma-jina-emulator/<version>"),
        ([], "no interactions"),
    ],
)
def test_a_cassette_whose_source_cannot_be_told_is_refused(
    tmp_path: Path, headers: list, problem: str
) -> None:
    with pytest.raises(ProvenanceError, match=re.escape(problem)):
        recorded_from(cassette(tmp_path / "bad.yaml", headers))


def shown_block(snippet: str) -> str:
    """A code block as Material renders it, showing a snippet's text."""
    code = html.escape((ROOT / snippet).read_text(encoding="utf-8"))
    return (
        f'<div class="language-python highlight"><pre><span></span><code>{code}</code></pre></div>'
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_api_recording_is_shown_with_its_date(tmp_path: Path, lang: str) -> None:
    real = recorded_from(cassette(tmp_path / "hello.yaml", [REAL]))
    page = "<p>Intro</p>" + shown_block("snippets/hello.py") + "<ol><li>note</li></ol>"
    out = hook.annotate(
        page,
        '```python\n--8<-- "snippets/hello.py"\n```\n',
        lang,
        "testing/#vectors",
        lambda _: real,
    )
    (note,) = NOTE.finditer(out)
    assert note["kind"] == "api"
    assert (
        note["text"]
        == {
            "en": "Output recorded from the Jina API on 2026-12-01.",
            "zh": "以上输出录制自 Jina API（2026-12-01）。",
        }[lang]
    )
    # inside the block's container, so the annotation list still follows the block directly
    assert out.endswith("</small></p></div><ol><li>note</li></ol>")


def test_a_recorded_snippet_that_no_block_shows_fails_the_build() -> None:
    with pytest.raises(PluginError, match=r"snippets/hello\.py"):
        hook.annotate(
            "<p>no code here</p>",
            '--8<-- "snippets/hello.py"\n',
            "en",
            "testing/#vectors",
            recorded_from,
        )


def built_page(site: Path, lang: str, page: Path) -> Path:
    relative = page.relative_to(ROOT / "docs" / lang).as_posix()
    folder = re.sub(r"(index)?\.md$", "", relative)
    return site / ("zh" if lang == "zh" else "") / folder / "index.html"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_recorded_example_on_the_site_says_where_from(built_site: Path, lang: str) -> None:
    checked = 0
    for page in pages(lang):
        cassettes = [c for inc in page_includes(page) if (c := hook.cassette_for(inc.target))]
        notes = list(NOTE.finditer(built_page(built_site, lang, page).read_text(encoding="utf-8")))
        where = page.relative_to(ROOT).as_posix()
        assert [n["kind"] for n in notes] == [recorded_from(c).kind for c in cassettes], where
        for note, source in zip(notes, map(recorded_from, cassettes), strict=True):
            assert note["text"].startswith(WORDS[lang]), (where, note["text"])
            if source.kind == "emulator":
                assert f"chroma-jina-emulator {source.emulator_version}" in note["text"], where
        checked += len(notes)
    assert checked >= 20, f"only {checked} recorded examples found on the {lang} site"
