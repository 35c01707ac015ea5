"""Every example with recorded outputs says where they were recorded, in the page's language.

The source comes from the snippet's cassette (hooks/cassette_provenance.py) and is written under the
code block at build time by hooks/recorded_from.py. Checked here on the built site (every page of
both languages) and, for recordings from the real API, which no cassette holds yet, on synthetic
cassettes.
"""

from __future__ import annotations

import html
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import recorded_from as hook
import yaml
from cassette_provenance import ProvenanceError, RecordedFrom, provenance, recorded_from
from mkdocs.exceptions import PluginError

from tests.docs.docs_examples import LANGUAGES, ROOT, page_includes, pages

NOTE = re.compile(
    r'<p class="recorded-from" data-recorded-from="(?P<kind>[a-z]+)"><small>(?P<text>.*?)</small></p>'
)
WORDS = {"en": "Output recorded from the", "zh": "以上输出录制自"}
LOCAL_WORDS = {"en": "Output from running this example", "zh": "以上输出是"}
NO_API_CALL = {"en": "no API call.", "zh": "没有调用 API。"}


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


HOSTILE = "<img src=x onerror=alert(1)>"
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
        ([{"x-emulated-by": [f"chroma-jina-emulator/{HOSTILE}"]}], "a version like 0.1.0"),
        ([{"x-emulated-by": ["chroma-jina-emulator/0.1.0 <b>"]}], "a version like 0.1.0"),
        ([{"x-emulated-by": ["chroma-jina-emulator/0.1.0\n"]}], "a version like 0.1.0"),
        ([{"x-emulated-by": ["other-emulator/0.1.0"]}], "a version like 0.1.0"),
        ([{"x-emulated-by": ["chroma-jina-emulator/0.1.0", "chroma-jina-emulator/0.2.0"]}], "one"),
        ([], "no interactions"),
    ],
)
def test_a_cassette_whose_source_cannot_be_told_is_refused(
    tmp_path: Path, headers: list, problem: str
) -> None:
    with pytest.raises(ProvenanceError, match=re.escape(problem)):
        recorded_from(cassette(tmp_path / "bad.yaml", headers))


def test_a_refused_value_is_quoted_and_cut_in_the_error(tmp_path: Path) -> None:
    huge = "chroma-jina-emulator/" + "9" * 100_000
    path = cassette(tmp_path / "huge.yaml", [{"x-emulated-by": [huge]}])
    with pytest.raises(ProvenanceError) as refused:
        recorded_from(path)
    assert len(str(refused.value)) < 400
    assert f"({len(huge)} chars)" in str(refused.value)


def test_a_cassette_is_read_again_only_when_it_changes(tmp_path: Path) -> None:
    path = cassette(tmp_path / "c.yaml", [EMULATED])
    assert recorded_from(path).emulator_version == "0.1.0"
    stamp = path.stat()
    # same size, same mtime: the cached answer, the file is not parsed again
    path.write_text(path.read_text(encoding="utf-8").replace("0.1.0", "0.7.0"), encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert recorded_from(path).emulator_version == "0.1.0"
    # a newer mtime: read again
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
    assert recorded_from(path).emulator_version == "0.7.0"


def test_the_note_escapes_what_it_shows() -> None:
    """Defence in depth: even a RecordedFrom that bypassed the version check shows no markup."""
    shown = hook.note(RecordedFrom("emulator", emulator_version=HOSTILE), "en", '"><script>')
    assert "<img" not in shown
    assert "<script>" not in shown
    assert html.escape(HOSTILE) in shown


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


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("snippet", "emulator"), [("snippets/models.py", False), ("snippets/testing_emulator.py", True)]
)
def test_an_example_without_a_cassette_says_it_ran_with_no_api_call(
    lang: str, snippet: str, emulator: bool
) -> None:
    assert hook.cassette_for(snippet) is None
    out = hook.annotate_local(
        shown_block(snippet), f'--8<-- "{snippet}"\n', lang, "../testing/#vectors"
    )
    (note,) = NOTE.finditer(out)
    assert note["kind"] == "local"
    assert note["text"].startswith(LOCAL_WORDS[lang]), note["text"]
    assert note["text"].endswith(NO_API_CALL[lang]), note["text"]
    assert ('href="../testing/#vectors"' in note["text"]) is emulator


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_snippet_that_prints_nothing_gets_no_note(lang: str) -> None:
    """The pytest template has no output, so no line claims where its output came from."""
    assert hook.local_note("snippets/testing_pytest.py", lang, "../testing/#vectors") is None
    assert hook.local_note("snippets/testing_emulator.py", lang, "../testing/#vectors") is not None


def test_a_local_note_goes_under_its_own_block_after_a_recorded_one() -> None:
    """A block that got a recorded-from note first does not swallow the next block."""
    page = shown_block("snippets/hello.py") + "<p>between</p>" + shown_block("snippets/models.py")
    markdown = '--8<-- "snippets/hello.py"\n--8<-- "snippets/models.py"\n'
    recorded = hook.annotate(page, markdown, "en", "testing/#vectors", recorded_from)
    out = hook.annotate_local(recorded, markdown, "en", "testing/#vectors")
    assert [n["kind"] for n in NOTE.finditer(out)] == ["emulator", "local"]
    assert out.index("<p>between</p>") < out.index('data-recorded-from="local"')


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
        includes = [  # programs that print: a configuration file (nginx) or a template does not
            inc
            for inc in page_includes(page)
            if inc.target.startswith("snippets/")
            and inc.target.split(":", 1)[0].endswith((".py", ".ts"))
            and hook.OUTPUT_LINE.search((ROOT / inc.target.split(":", 1)[0]).read_text("utf-8"))
        ]
        cassettes = [c for inc in includes if (c := hook.cassette_for(inc.target))]
        found = list(NOTE.finditer(built_page(built_site, lang, page).read_text(encoding="utf-8")))
        where = page.relative_to(ROOT).as_posix()
        kinds = [
            recorded_from(c).kind if (c := hook.cassette_for(inc.target)) else "local"
            for inc in includes
        ]
        assert [n["kind"] for n in found] == kinds, where
        for note in found:
            if note["kind"] == "local":
                assert note["text"].startswith(LOCAL_WORDS[lang]), (where, note["text"])
                assert note["text"].endswith(NO_API_CALL[lang]), (where, note["text"])
        notes = [n for n in found if n["kind"] != "local"]
        for note, source in zip(notes, map(recorded_from, cassettes), strict=True):
            assert note["text"].startswith(WORDS[lang]), (where, note["text"])
            if source.kind == "emulator":
                assert f"chroma-jina-emulator {source.emulator_version}" in note["text"], where
        checked += len(notes)
    assert checked >= 20, f"only {checked} recorded examples found on the {lang} site"


def build(project: Path, config: str) -> subprocess.CompletedProcess[str]:
    site = str(project / "site")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", config, "--site-dir", site],
        check=False,
        cwd=project,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=100,
    )


def test_a_site_built_from_a_crafted_cassette_carries_no_markup_from_it(tmp_path: Path) -> None:
    """A pull request that edits a cassette's `x-emulated-by` into markup: the strict build
    (what docs.yml deploys) fails naming the header, and even a lax build writes no markup."""
    project = tmp_path / "project"
    for part in ("docs", "hooks", "snippets", "cassettes", "overrides"):
        shutil.copytree(ROOT / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    (project / "lax.yml").write_text("INHERIT: mkdocs.yml\nstrict: false\n", encoding="utf-8")
    crafted = project / "cassettes" / "hello.yaml"
    text = crafted.read_text(encoding="utf-8")
    assert "chroma-jina-emulator/0.1.0" in text
    crafted.write_text(
        text.replace("chroma-jina-emulator/0.1.0", f"chroma-jina-emulator/{HOSTILE}"),
        encoding="utf-8",
    )

    strict = build(project, "mkdocs.yml")
    assert strict.returncode != 0
    assert "x-emulated-by should name one chroma-jina-emulator/<version>" in strict.stderr
    assert "hello.yaml" in strict.stderr

    lax = build(project, "lax.yml")
    assert lax.returncode == 0, lax.stderr[-2000:]
    pages = list((project / "site").rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "onerror" not in text, page
        assert "<img src=x" not in text, page
    # the example that shows hello.py is there, without a note
    home = (project / "site" / "index.html").read_text(encoding="utf-8")
    assert "EmbeddingFunction" in home or "JinaEmbeddingFunction" in home


def test_the_glossary_hook_refuses_markup() -> None:
    """The other hook that writes data from a file into pages: docs/glossary.yml's cells."""
    spec = importlib.util.spec_from_file_location("glossary_hook", ROOT / "hooks" / "glossary.py")
    glossary = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(glossary)
    term = {"en": "x", "zh": "x", "source": "s", "source_zh": "s", "note_en": HOSTILE}
    with pytest.raises(ValueError, match="no HTML in a glossary entry"):
        glossary.table("en", [term])
    assert "| x | x | s |" in glossary.table("en", [{**term, "note_en": "a | b"}])
