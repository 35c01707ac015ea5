"""mkdocs hook: under every example whose outputs were recorded, say where they come from.

For each code block that shows a snippet with a cassette (`snippets/x.py` -> `cassettes/x.yaml`),
a line goes into the block's container, right under the code: "recorded from the offline emulator
(chroma-jina-emulator VERSION)" or "recorded from the Jina API on DATE", in the page's language,
with `data-recorded-from="emulator"` or `"api"`. It sits inside the container so that Material
still finds a code-annotation list right after the block. The source is read from the cassette at
build time (hooks/cassette_provenance.py); nothing is written by hand. An included snippet with a
cassette that no block on the page shows fails the build.

A cassette is data from a pull request like any other file: its version must be a version (or the
cassette is refused with a build warning, which fails a strict build, and its examples get no
note), and every value put into the page is HTML-escaped.
"""

from __future__ import annotations

import html
import logging
import posixpath
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cassette_provenance import ProvenanceError, RecordedFrom, recorded_from
from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "snippets"
CASSETTES = ROOT / "cassettes"
EXPLAINED_AT = "testing/#vectors"
"""Where the site says what the emulator's vectors are (relative to a language's root)."""

TEXT = {
    "en": {
        "emulator": (
            'Output recorded from the <a href="{link}">offline emulator</a> '
            "(chroma-jina-emulator {version}), not from Jina's model."
        ),
        "api": "Output recorded from the Jina API on {day}.",
    },
    "zh": {
        "emulator": (
            '以上输出录制自<a href="{link}">离线模拟器</a>'
            "（chroma-jina-emulator {version}），不是 Jina 模型的真实输出。"
        ),
        "api": "以上输出录制自 Jina API（{day}）。",
    },
}
LOCAL_TEXT = {
    "en": {
        "plain": "Output from running this example; no API call.",
        "emulator": (
            'Output from running this example against the <a href="{link}">offline emulator</a>; '
            "no API call."
        ),
    },
    "zh": {
        "plain": "以上输出是在本地运行这个示例得到的，没有调用 API。",
        "emulator": '以上输出是用<a href="{link}">离线模拟器</a>运行这个示例得到的，没有调用 API。',
    },
}
"""Under a snippet without a cassette; "emulator" when the program runs chroma-jina's emulator."""
RUNS_EMULATOR = re.compile(r"chroma_jina\.testing")
OUTPUT_LINE = re.compile(r"^[ \t]*(?:#|//)>", re.MULTILINE)
"""A printed-output line of a Python (`#>`) or TypeScript (`//>`) snippet."""
BARE_BLOCK = re.compile(
    r'(?P<open><div class="language-[\w-]+ highlight">)'
    r"(?P<pre><pre>(?:(?!</pre>).)*</pre>)(?P<close></div>)",
    re.DOTALL,
)
"""A code block with no note yet: its `</pre>` is followed by the closing `</div>` at once (a
block that got a note from `annotate` does not match, and no match spans two blocks)."""
INCLUDE = re.compile(r'^[ \t]*--8<--[ \t]+"([^"]+)"[ \t]*$', re.MULTILINE)
BLOCK = re.compile(
    r'(?P<open><div class="language-[\w-]+ highlight">)(?P<pre><pre>.*?</pre>)(?P<close></div>)',
    re.DOTALL,
)
TAG = re.compile(r"<[^>]+>")
log = logging.getLogger("mkdocs.hooks.recorded_from")


def cassette_for(target: str) -> Path | None:
    """The cassette of an include target (`snippets/x.py`, `snippets/x.py:part`), if it has one."""
    path = target.split(":", 1)[0]
    snippet = ROOT / path
    if not snippet.is_relative_to(SNIPPETS):
        return None
    cassette = CASSETTES / snippet.relative_to(SNIPPETS).with_suffix(".yaml")
    return cassette if cassette.is_file() else None


def note(source: RecordedFrom, lang: str, link: str) -> str:
    """The element shown under one example."""
    text = TEXT[lang][source.kind].format(
        link=html.escape(link),
        version=html.escape(str(source.emulator_version)),
        day=html.escape(str(source.day)),
    )
    kind = html.escape(source.kind)
    return f'<p class="recorded-from" data-recorded-from="{kind}"><small>{text}</small></p>'


def _normalized(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip("\n").splitlines()).strip("\n")


def _code_text(pre: str) -> str:
    return html.unescape(TAG.sub("", pre))


def annotate(
    page_html: str,
    markdown: str,
    lang: str,
    link: str,
    source_of: Callable[[Path], RecordedFrom | None],
) -> str:
    """Insert the note into each block of `page_html` that shows an included snippet with a
    cassette (none where `source_of` gives None). Raises PluginError for such a snippet that
    no block shows."""
    wanted: dict[str, Path] = {}
    for target in INCLUDE.findall(markdown):
        cassette = cassette_for(target)
        if cassette is not None:
            wanted[target] = cassette
    if not wanted:
        return page_html
    texts = {
        target: _normalized((ROOT / target.split(":", 1)[0]).read_text(encoding="utf-8"))
        for target in wanted
    }
    shown: set[str] = set()

    def add_note(match: re.Match[str]) -> str:
        code = _normalized(_code_text(match["pre"]))
        for target, text in texts.items():
            if code and code in text:
                shown.add(target)
                source = source_of(wanted[target])
                mark = note(source, lang, link) if source is not None else ""
                return match["open"] + match["pre"] + mark + match["close"]
        return match[0]

    result = BLOCK.sub(add_note, page_html)
    missing = sorted(set(wanted) - shown)
    if missing:
        raise PluginError(f"recorded_from: no code block on the page shows {missing}")
    return result


def _source(cassette: Path) -> RecordedFrom | None:
    """The cassette's source (read once while it is unchanged), or None with a warning when it
    cannot be told: a strict build fails, `mkdocs serve` shows the example without a note."""
    try:
        return recorded_from(cassette)
    except ProvenanceError as exc:
        log.warning("recorded_from: %s", exc)
        return None


def local_note(target: str, lang: str, link: str) -> str | None:
    """The element under an included snippet that has no cassette (its output was computed when it
    ran, with no API call), or None for a target that is not such a snippet or prints nothing."""
    path = ROOT / target.split(":", 1)[0]
    if not path.is_relative_to(SNIPPETS) or path.suffix not in (".py", ".ts"):
        return None
    if cassette_for(target) is not None or not path.is_file():
        return None
    source = path.read_text(encoding="utf-8")
    if not OUTPUT_LINE.search(source):  # a template (pytest fixtures, say) prints nothing
        return None
    kind = "emulator" if RUNS_EMULATOR.search(source) else "plain"
    text = LOCAL_TEXT[lang][kind].format(link=html.escape(link))
    return f'<p class="recorded-from" data-recorded-from="local"><small>{text}</small></p>'


def annotate_local(page_html: str, markdown: str, lang: str, link: str) -> str:
    """Insert `local_note` into each block of `page_html` that shows an included snippet without
    a cassette (blocks that already carry a note do not match `BARE_BLOCK`). Raises PluginError for
    such a snippet that no block shows."""
    notes = {
        target: mark
        for target in INCLUDE.findall(markdown)
        if (mark := local_note(target, lang, link)) is not None
    }
    if not notes:
        return page_html
    texts = {
        target: _normalized((ROOT / target.split(":", 1)[0]).read_text(encoding="utf-8"))
        for target in notes
    }
    shown: set[str] = set()

    def add_note(match: re.Match[str]) -> str:
        code = _normalized(_code_text(match["pre"]))
        for target, text in texts.items():
            if code and code in text:
                shown.add(target)
                return match["open"] + match["pre"] + notes[target] + match["close"]
        return match[0]

    result = BARE_BLOCK.sub(add_note, page_html)
    missing = sorted(set(notes) - shown)
    if missing:
        raise PluginError(f"recorded_from: no code block on the page shows {missing}")
    return result


def on_page_content(html_text: str, page: Any, config: Any, files: Any) -> str:
    lang = getattr(page.file, "locale", None) or "en"
    if lang not in TEXT:
        lang = "en"
    root = "zh/" if lang == "zh" else ""
    here = page.url.rstrip("/") or "."
    target = posixpath.join(root, EXPLAINED_AT.split("#")[0]).rstrip("/")
    link = posixpath.relpath(target, here) + "/#" + EXPLAINED_AT.split("#")[1]
    recorded = annotate(html_text, page.markdown, lang, link, _source)
    return annotate_local(recorded, page.markdown, lang, link)
