"""Structure of the bilingual guide: both languages complete, aligned with each other and with the code.

English (`docs/en`) is the source; `docs/zh` must have the same pages, the same snippet includes in
the same order, the same heading anchors, and real Chinese prose. The model table and the parameter
tables must match `chroma_jina.models.MODELS` and the constructor of `JinaEmbeddingFunction`, so a
model or an option added to the code without docs in both languages fails here.
"""

from __future__ import annotations

import inspect
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from chroma_jina.models import MODELS, ModelInfo
from tests.docs.docs_examples import zh_variant

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
LANGS = ("en", "zh")
INCLUDE = re.compile(r'^[ \t]*--8<--[ \t]+"([^"]+)"[ \t]*$', re.MULTILINE)
HEADING = re.compile(r"^(#{2,6})[ \t]+(.+?)[ \t]*$", re.MULTILINE)
ANCHOR = re.compile(r"\{#([a-z0-9][-a-z0-9_]*)\}$")
FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.MULTILINE | re.DOTALL)
HAN = re.compile(r"[\u4e00-\u9fff]")
INPUT_KINDS = {"en": {"text": "text", "image": "image"}, "zh": {"text": "文本", "image": "图像"}}


def pages(lang: str) -> list[str]:
    """Relative paths of the Markdown pages of one language."""
    base = DOCS / lang
    return sorted(str(p.relative_to(base)) for p in base.rglob("*.md"))


def read(lang: str, page: str) -> str:
    return (DOCS / lang / page).read_text(encoding="utf-8")


def prose(markdown: str) -> str:
    """Markdown without front matter, code blocks, inline code, link targets, attribute lists
    and URLs."""
    text = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.DOTALL)
    text = FENCE.sub("", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"\{[#.][^}]*\}", "", text)
    return re.sub(r"https?://\S+", "", text)


def headings(markdown: str) -> list[tuple[str, str | None]]:
    """(level, explicit anchor or None) of every heading below the page title, outside code."""
    found = []
    for level, title in HEADING.findall(FENCE.sub("", markdown)):
        anchor = ANCHOR.search(title)
        found.append((level, anchor.group(1) if anchor else None))
    return found


def test_every_page_exists_in_both_languages() -> None:
    en, zh = set(pages("en")), set(pages("zh"))
    assert en, "no English pages found"
    assert not en - zh, f"pages without a Chinese translation in docs/zh: {sorted(en - zh)}"
    assert not zh - en, f"Chinese pages without an English source in docs/en: {sorted(zh - en)}"


@pytest.mark.parametrize("page", pages("en"))
def test_same_snippet_includes_in_same_order(page: str) -> None:
    """At each place docs/zh includes what docs/en does, or its Chinese variant (snippets/zh/)."""
    en = INCLUDE.findall(read("en", page))
    zh = INCLUDE.findall(read("zh", page))
    aligned = len(en) == len(zh) and all(
        z in (e, zh_variant(e)) for e, z in zip(en, zh, strict=False)
    )
    assert aligned, (
        f"{page}: docs/zh must include the same snippets as docs/en, in the same order "
        f"(or, at the same place, the Chinese variant {zh_variant('snippets/<name>')})\n"
        f"  en: {en}\n  zh: {zh}"
    )


@pytest.mark.parametrize("page", pages("en"))
def test_same_heading_anchors(page: str) -> None:
    en, zh = headings(read("en", page)), headings(read("zh", page))
    unanchored = [lang for lang, hs in (("en", en), ("zh", zh)) if any(a is None for _, a in hs)]
    assert not unanchored, (
        f"{page}: every heading below the title needs an explicit English anchor, "
        f"e.g. `## 任务参数 {{#task}}` (missing in: {unanchored})"
    )
    assert en == zh, f"{page}: headings (level, anchor) differ\n  en: {en}\n  zh: {zh}"


@pytest.mark.parametrize("page", pages("zh"))
def test_chinese_pages_are_written_in_chinese(page: str) -> None:
    text = prose(read("zh", page))
    assert len(HAN.findall(text)) >= 40, f"zh/{page} has almost no Chinese text"
    english_lines = [
        line.strip()
        for line in text.splitlines()
        if len(re.findall(r"[A-Za-z]", line)) >= 25 and not HAN.search(line)
    ]
    assert not english_lines, f"zh/{page} has untranslated English lines: {english_lines}"


def model_rows(lang: str, anchor: str) -> dict[str, list[str]]:
    """Rows of the table in the `{#anchor}` section of the Models page, by model name."""
    text = read(lang, "models.md")
    section = text[text.index(f"{{#{anchor}}}") :].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        match = re.match(r"^\| `([^`]+)` \|(.*)\|\s*$", line)
        if match:
            assert match.group(1) not in rows, (
                f"{lang}/models.md#{anchor} lists {match.group(1)} twice"
            )
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def expected_rows(model: ModelInfo, lang: str) -> dict[str, list[str]]:
    """The cells (after the model name) of each table of the Models page that the code's
    catalog decides (the catalog table's last two cells, parameters and licence, come from Jina's
    on-premises catalog: `test_model_parameters_and_licences_match_jinas_catalog`)."""
    kinds = INPUT_KINDS[lang]
    sep = "、" if lang == "zh" else ", "
    return {
        "catalog": [
            str(model.dimensions),
            f"{model.matryoshka[0]}–{model.matryoshka[1]}" if model.matryoshka else "—",
            str(model.context),
            sep.join(kinds[kind] for kind in model.inputs),
            f"`{model.default_task}`" if model.default_task else "—",
        ],
        "tasks": [
            sep.join(f"`{task}`" for task in model.tasks) or "—",
            sep.join(f"`{field}`" for field in sorted(model.fields)),
        ],
    }


@pytest.mark.parametrize("anchor", ["catalog", "tasks"])
@pytest.mark.parametrize("lang", LANGS)
def test_model_tables_match_catalog(lang: str, anchor: str) -> None:
    rows = model_rows(lang, anchor)
    page = f"{lang}/models.md#{anchor}"
    assert not set(MODELS) - set(rows), f"{page} is missing {sorted(set(MODELS) - set(rows))}"
    assert not set(rows) - set(MODELS), f"{page} lists unknown {sorted(set(rows) - set(MODELS))}"
    for name, model in MODELS.items():
        expected = expected_rows(model, lang)[anchor]
        got = rows[name][: len(expected)]
        assert got == expected, (
            f"{page}: the row for {name} does not match src/chroma_jina/models.py\n"
            f"  page: {got}\n  code: {expected}"
        )
    if anchor == "catalog":
        assert all(len(cells) == 7 for cells in rows.values()), f"{page}: rows of 7 cells expected"


@pytest.mark.parametrize("lang", LANGS)
def test_model_parameters_and_licences_match_jinas_catalog(lang: str, captures: Path) -> None:
    """The catalog table's parameters and weight licence, from Jina's on-premises catalog."""
    catalog_json = json.loads(
        (captures / "jina-model-catalog-2026-08.json").read_text(encoding="utf-8")
    )
    catalog = {m["id"]: m for m in catalog_json["models"]}
    for name, cells in model_rows(lang, "catalog").items():
        expected = [parameter_count(catalog[name]["parameters"], lang), catalog[name]["license"]]
        assert cells[-2:] == expected, (
            f"{lang}/models.md#catalog: {name} {cells[-2:]} != {expected}"
        )


def constructor_parameters() -> list[str]:
    from chroma_jina import JinaEmbeddingFunction

    params = inspect.signature(JinaEmbeddingFunction.__init__).parameters
    return [name for name in params if name != "self"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_constructor_parameter_is_documented(lang: str) -> None:
    text = read(lang, "installation.md")
    table = text[text.index("{#parameters}") :]
    documented = set(re.findall(r"^\| `([a-z_0-9]+)` \|", table, re.MULTILINE))
    params = constructor_parameters()
    assert not set(params) - documented, (
        f"{lang}/installation.md#parameters does not document {sorted(set(params) - documented)}"
    )
    assert not documented - set(params), (
        f"{lang}/installation.md#parameters documents parameters that do not exist: "
        f"{sorted(documented - set(params))}"
    )


def test_every_saved_option_has_a_page_in_both_languages() -> None:
    from chromadb.utils.embedding_functions.schemas import load_schema

    saved = set(load_schema("jina")["properties"])
    options = sorted(saved - {"api_key_env_var", "model_name"})
    assert len(options) == 7, f"chromadb's jina schema changed: {sorted(saved)}"
    missing = [
        f"{lang}/options/{option}.md"
        for option in options
        for lang in LANGS
        if not (DOCS / lang / "options" / f"{option}.md").is_file()
    ]
    assert not missing, f"saved options without a page: {missing}"


def nav_entries(nav: list) -> list[tuple[str, str | None]]:
    """(title, page or None for a section) for every nav entry, depth first."""
    entries = []
    for item in nav:
        for title, value in item.items():
            if isinstance(value, list):
                entries.append((title, None))
                entries.extend(nav_entries(value))
            else:
                entries.append((title, value))
    return entries


def test_nav_lists_every_page_with_a_chinese_title() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    entries = nav_entries(config["nav"])
    in_nav = {page for _, page in entries if page}
    assert in_nav == set(pages("en")), (
        f"nav and docs/en differ: not in nav {sorted(set(pages('en')) - in_nav)}, "
        f"missing pages {sorted(in_nav - set(pages('en')))}"
    )
    i18n = next(p["i18n"] for p in config["plugins"] if isinstance(p, dict) and "i18n" in p)
    zh = next(lang for lang in i18n["languages"] if lang["locale"] == "zh")
    translations = zh.get("nav_translations", {})
    untranslated = [
        title
        for title, _ in entries
        if title not in translations and not re.fullmatch(r"[a-z_]+|TypeScript", title)
    ]
    assert not untranslated, f"nav titles without a zh entry in nav_translations: {untranslated}"


def test_built_chinese_site_is_chinese(built_site: Path) -> None:
    for page in pages("zh"):
        html_path = built_site / "zh" / re.sub(r"(index)?\.md$", "", page) / "index.html"
        html = html_path.read_text(encoding="utf-8")
        assert '<html lang="zh"' in html, f"{html_path} is not a Chinese page"
        article = html[html.index("<article") : html.index("</article>")]
        assert len(HAN.findall(article)) >= 40, f"{html_path} shows no Chinese text (fallback?)"


def annotated_blocks(markdown: str) -> list[tuple[str, int, list[int]]]:
    """For each fenced include of a whole snippet: (snippet, markers in it, list numbers after it).

    A `# (1)!` marker in a snippet needs item 1 of a numbered list right after the code block
    (Material code annotations); without it the reader sees a bare `# (1)!` comment.
    """
    lines = markdown.splitlines()
    found = []
    for i, line in enumerate(lines):
        include = INCLUDE.match(line)
        if not include or ":" in include.group(1) or not include.group(1).endswith(".py"):
            continue
        markers = len(
            re.findall(r"# \(\d+\)!", (ROOT / include.group(1)).read_text(encoding="utf-8"))
        )
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip().startswith("```"))
        numbers: list[int] = []
        indent = None
        for after in lines[end + 1 :]:
            item = re.match(r"^(\s*)(\d+)\. ", after)
            if item and indent in (None, len(item.group(1))):
                indent = len(item.group(1))
                numbers.append(int(item.group(2)))
            elif not after.strip():
                continue
            elif indent is None or len(after) - len(after.lstrip()) <= indent:
                break
        found.append((include.group(1), markers, numbers))
    return found


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", pages("en"))
def test_code_annotations_are_written(lang: str, page: str) -> None:
    for snippet, markers, numbers in annotated_blocks(read(lang, page)):
        assert numbers[:markers] == list(range(1, markers + 1)), (
            f"{lang}/{page}: {snippet} has {markers} annotation markers `# (n)!`; write the "
            f"numbered list 1..{markers} right after its code block (found {numbers})"
        )


LANGUAGE_NAMES = {
    "en": {"multilingual": "multilingual", "English": "English", "Chinese": "Chinese"},
    "zh": {"multilingual": "多语言", "English": "英文", "Chinese": "中文"},
}
YES_NO = {"en": ("yes", "no"), "zh": ("支持", "不支持")}


def parameter_count(catalog_figure: str, lang: str) -> str:
    """The catalog's "570M" / "3.8B" as the page writes it: unchanged in English, in units of
    亿 (10^8) in Chinese ("5.7 亿", "38 亿")."""
    if lang != "zh":
        return catalog_figure
    scale = {"M": Decimal("0.01"), "B": Decimal(10)}[catalog_figure[-1]]
    count = (Decimal(catalog_figure[:-1]) * scale).normalize()
    return f"{count:f} 亿"


@pytest.mark.parametrize("lang", LANGS)
def test_chinese_page_model_table_matches_catalog(lang: str) -> None:
    """The models the Chinese-text page recommends read Chinese, with the code catalog's figures."""
    text = read(lang, "chinese.md")
    section = text[text.index("{#models}") :].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \|(.*)\|\s*$", section, re.MULTILINE)
    assert {"jina-embeddings-v3", "jina-embeddings-v2-base-zh"} <= {name for name, _ in rows}
    sep = "、" if lang == "zh" else ", "
    for name, cells in rows:
        model = MODELS[name]
        yes, no = YES_NO[lang]
        expected = [
            sep.join(LANGUAGE_NAMES[lang][language] for language in model.languages),
            str(model.context),
            yes if "late_chunking" in model.fields else no,
        ]
        assert model.reads_chinese, (
            f"{lang}/chinese.md recommends {name}, which does not read Chinese"
        )
        assert [c.strip() for c in cells.split("|")] == expected, f"{lang}/chinese.md: {name}"
