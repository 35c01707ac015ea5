"""mkdocs hook: the glossary page of each language is generated from docs/glossary.yml.

docs/en/glossary.md and docs/zh/glossary.md hold their own introduction and the marker
`<!-- glossary -->`, which this hook replaces with the table of terms in the page's language, and
`<!-- conventions -->`, replaced with the rules for writing numbers and units in Chinese.
tests/docs/test_glossary.py reads the same file to check the Chinese pages' terms and conventions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

GLOSSARY = Path(__file__).resolve().parent.parent / "docs" / "glossary.yml"
MARKER = "<!-- glossary -->"
CONVENTIONS_MARKER = "<!-- conventions -->"
CONVENTION_HEADERS = {"en": ("Rule", "In Chinese", "How"), "zh": ("规则", "写法", "英文")}
HEADERS = {
    "en": ("English", "Chinese", "Where the rendering comes from", "Not used", "Notes"),
    "zh": ("英文", "中文", "出处", "本指南不用", "说明"),
}
ALSO = {"en": "Also met elsewhere: ", "zh": "别处也写作："}
SEPARATOR = {"en": ", ", "zh": "、"}
NOTE_JOIN = {"en": " ", "zh": ""}
"""Between a note and the other names: a Chinese sentence ends with 。, after which no space."""


def load_terms(path: Path = GLOSSARY) -> list[dict[str, Any]]:
    """The glossary's entries, in file order."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["terms"]


def load_conventions(path: Path = GLOSSARY) -> list[dict[str, Any]]:
    """The rules for numbers and units in Chinese, in file order."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))["conventions"]


def _cell(text: str) -> str:
    """A table cell: plain text only. Markdown passes HTML through to the page, so markup in
    docs/glossary.yml is refused rather than published."""
    if "<" in text or ">" in text:
        raise ValueError(f"docs/glossary.yml: no HTML in a glossary entry, found {text[:80]!r}")
    return text.replace("|", "\\|").strip()


def table(lang: str, terms: list[dict[str, Any]] | None = None) -> str:
    """The glossary as a Markdown table in `lang` ("en" or "zh")."""
    rows = [
        "| " + " | ".join(HEADERS[lang]) + " |",
        "|" + "---|" * len(HEADERS[lang]),
    ]
    sep = SEPARATOR[lang]
    for term in terms if terms is not None else load_terms():
        source = term["source"] if lang == "en" else term["source_zh"]
        notes = [term.get(f"note_{lang}", "")]
        if term.get("also"):
            notes.append(ALSO[lang] + sep.join(term["also"]))
        rows.append(
            "| "
            + " | ".join(
                _cell(cell)
                for cell in (
                    term["en"],
                    term["zh"],
                    source,
                    sep.join(term.get("avoid") or []) or "—",
                    NOTE_JOIN[lang].join(n for n in notes if n) or "—",
                )
            )
            + " |"
        )
    return "\n".join(rows)


def conventions_table(lang: str, rules: list[dict[str, Any]] | None = None) -> str:
    """The conventions as a Markdown table in `lang` ("en" or "zh")."""
    rows = [
        "| " + " | ".join(CONVENTION_HEADERS[lang]) + " |",
        "|" + "---|" * len(CONVENTION_HEADERS[lang]),
    ]
    for rule in rules if rules is not None else load_conventions():
        # zh: the English name last, as a reference (it writes 10,000, which a zh page does not)
        cells = (
            (rule["en"], rule["zh"], rule["rule_en"])
            if lang == "en"
            else (rule["zh"], rule["rule_zh"], rule["en"])
        )
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Fill the marker of docs/<lang>/glossary.md with that language's table."""
    lang, _, name = page.file.src_uri.partition("/")
    if name != "glossary.md" or lang not in HEADERS:
        return markdown
    if MARKER not in markdown:
        raise ValueError(f"{page.file.src_uri} lacks the marker {MARKER}")
    if CONVENTIONS_MARKER not in markdown:
        raise ValueError(f"{page.file.src_uri} lacks the marker {CONVENTIONS_MARKER}")
    return markdown.replace(MARKER, table(lang)).replace(
        CONVENTIONS_MARKER, conventions_table(lang)
    )
