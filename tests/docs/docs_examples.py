"""Where the docs' examples are: snippet files, the pages that include them, and inline blocks.

Shared by the example runner (`test_examples.py`), the structural tests and the recording tools.
The include syntax is read with pymdownx.snippets itself, configured as in mkdocs.yml, so what the
tests compare is exactly what the site shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from uuid import uuid4

import markdown
import yaml
from pymdownx.snippets import SnippetPreprocessor
from pytest_examples import CodeExample, find_examples

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = ROOT / "snippets"
CASSETTES = ROOT / "cassettes"
LANGUAGES = ("en", "zh")
PYTHON_FENCES = {"python", "py", "python3"}


def page_dir(lang: str) -> Path:
    """The page tree of one language (docs/en, docs/zh)."""
    return ROOT / "docs" / lang


def pages(lang: str) -> list[Path]:
    """Every Markdown page of one language."""
    return sorted(page_dir(lang).rglob("*.md"))


def snippet_files(suffix: str = ".py") -> list[Path]:
    """Every snippet file with the given suffix, e.g. `.py` or `.ts`."""
    return sorted(p for p in SNIPPETS.rglob(f"*{suffix}") if p.is_file())


def zh_variant(target: str) -> str:
    """`snippets/hello.py[:section]` -> `snippets/zh/hello.py[:section]`: the same example with
    Chinese documents and queries, which a docs/zh page includes in the original's place."""
    return "snippets/zh/" + target.removeprefix("snippets/")


def original_of(snippet: Path) -> Path | None:
    """`snippets/zh/hello.py` -> `snippets/hello.py`; None for a snippet that is no zh variant."""
    if not snippet.is_relative_to(SNIPPETS / "zh"):
        return None
    return SNIPPETS / snippet.relative_to(SNIPPETS / "zh")


def snippet_id(snippet: Path) -> str:
    """The snippet's path relative to snippets/, e.g. `options/task.py`."""
    return snippet.relative_to(SNIPPETS).as_posix()


def cassette_for(snippet: Path) -> Path:
    """`snippets/options/task.py` -> `cassettes/options/task.yaml`: named after the snippet."""
    return CASSETTES / Path(snippet_id(snippet)).with_suffix(".yaml")


def snippet_for(cassette: Path) -> Path | None:
    """The Python or TypeScript snippet a cassette belongs to, or None: that cassette is unused."""
    stem = SNIPPETS / cassette.relative_to(CASSETTES).with_suffix("")
    found = [stem.with_suffix(s) for s in (".py", ".ts") if stem.with_suffix(s).is_file()]
    return found[0] if found else None


def shown(path: Path) -> str:
    """A path as messages show it: relative to the repository root when it is inside."""
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def record_command(snippet: Path) -> str:
    """The command that (re-)records one snippet's cassette and refreshes its outputs."""
    if snippet.suffix == ".ts":
        return "make record-ts"
    return f"make record SNIPPET={shown(snippet)}"


class SnippetFile(CodeExample):
    """A whole snippet file run as one program (pytest-examples only knows docstrings in .py)."""

    def in_py_file(self) -> bool:
        """Not a docstring: print output and formatting follow the rules for plain code."""
        return False


def snippet_example(snippet: Path) -> CodeExample:
    """The whole file as one pytest-examples example, line numbers as in the file."""
    example = SnippetFile.create(snippet.read_text(encoding="utf-8"), path=snippet, prefix="python")
    example.group = uuid4()
    return example


def fence_language(prefix: str) -> str:
    """`python {test="skip"}` -> `python`; `{.python title="x"}` -> `python`."""
    first = prefix.strip().lstrip("{").split(maxsplit=1)
    return first[0].lstrip(".").rstrip("}") if first else ""


def skip_reason(example: CodeExample) -> str | None:
    """Why a fence says its block is not run (`{test="skip" reason="..."}`), or None."""
    settings = example.prefix_settings()
    if settings.get("test") != "skip":
        return None
    return settings.get("reason", "").strip()


def is_include(source: str) -> bool:
    """Whether a fenced block only includes snippets: `--8<-- "..."` lines or a `--8<--` block."""
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    in_block = False
    for line in lines:
        m = _preprocessor().RE_ALL_SNIPPETS.match(line)
        if m and m.group("block_marker"):
            in_block = not in_block
        elif not (m or in_block):
            return False
    return bool(lines) and not in_block


def inline_blocks() -> list[CodeExample]:
    """Python blocks written in the pages of both languages (not includes, not ```pycon)."""
    found = find_examples(*(page_dir(lang) for lang in LANGUAGES))
    return [
        ex
        for ex in found
        if fence_language(ex.prefix) in PYTHON_FENCES and not is_include(ex.source)
    ]


def inline_block_id(example: CodeExample) -> str:
    """`docs/en/page.md:12` for a block whose fence starts on line 12."""
    return f"{example.path.relative_to(ROOT).as_posix()}:{example.start_line}"


@dataclass(frozen=True)
class Include:
    """One `--8<-- "path[:section]"` in a page."""

    page: Path
    line: int
    target: str
    path: str
    section: str | None


def page_includes(page: Path) -> list[Include]:
    """Every snippet include in a page, inline form and block form, in order."""
    pre = _preprocessor()
    found: list[Include] = []
    in_block = False
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        m = pre.RE_ALL_SNIPPETS.match(line)
        if m and m.group("escape"):
            continue
        if m and m.group("block_marker"):
            in_block = not in_block
            continue
        if m:
            target = m.group("snippet")[1:-1]
        elif in_block and line.strip():
            target = line.strip()
        else:
            continue
        parsed = pre.parse_snippet_target(target)
        if parsed is not None:
            found.append(Include(page, number, target, parsed["path"], parsed["section"]))
    return found


def expand(target: str) -> str:
    """The text pymdownx.snippets puts in place of `--8<-- "target"` (raises if unresolved)."""
    return "\n".join(_preprocessor().run([f'--8<-- "{target}"']))


def sections(snippet: Path) -> list[str]:
    """Names of the `# --8<-- [start:name]` sections of a snippet file."""
    pre = _preprocessor()
    names = []
    for line in snippet.read_text(encoding="utf-8").splitlines():
        m = pre.match_section(line)
        if m and not m.group("escape") and m.group("type").lower() == "start":
            names.append(m.group("name"))
    return names


def mkdocs_config() -> dict:
    """mkdocs.yml as data (Python-object tags such as `!!python/name:` read as None)."""
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *_: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=loader)


@lru_cache(maxsize=1)
def _preprocessor() -> SnippetPreprocessor:
    """The snippets preprocessor with mkdocs.yml's settings, base paths taken from the repo root."""
    config: dict = {}
    for ext in mkdocs_config().get("markdown_extensions", []):
        if isinstance(ext, dict) and "pymdownx.snippets" in ext:
            config = dict(ext["pymdownx.snippets"] or {})
    bases = config.get("base_path", ["."])
    config["base_path"] = [str(ROOT / b) for b in ([bases] if isinstance(bases, str) else bases)]
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": config}
    )
    return md.preprocessors["snippet"]
