"""Print the CHANGELOG.md entry of the version a release tag names: the GitHub release's notes.

    python3 .ci/release_notes.py v0.1.0

Fails (exit 1, saying why) unless the tag is "v" + the package version (src/chroma_jina/__init__.py)
and CHANGELOG.md has a dated entry for that version (`## [0.1.0] - 2026-12-01`). The release
workflow runs it before anything is built, so a tag pushed too early publishes nothing.
Standard library only: it runs on a bare runner.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>.*))?$", re.MULTILINE)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
LINK_DEFINITION = re.compile(r"^\[[^\]]+\]: \S+$", re.MULTILINE)


def package_version(root: Path = ROOT) -> str:
    """`__version__` from the package's __init__.py (hatch reads the same line)."""
    text = (root / "src" / "chroma_jina" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if not found:
        raise ValueError("no __version__ line in src/chroma_jina/__init__.py")
    return found.group(1)


def entry(changelog: str, version: str) -> str:
    """The body of the dated entry for `version` (up to the next entry or the link definitions)."""
    headings = list(HEADING.finditer(changelog))
    for i, heading in enumerate(headings):
        if heading.group("version") != version:
            continue
        if not DATE.fullmatch(heading.group("date") or ""):
            raise ValueError(
                f"CHANGELOG.md: the entry for {version} is not dated ({heading.group(0)!r}): "
                "write the release date, `## [X.Y.Z] - YYYY-MM-DD`, before tagging"
            )
        end = headings[i + 1].start() if i + 1 < len(headings) else len(changelog)
        body = changelog[heading.end() : end]
        links = LINK_DEFINITION.search(body)
        body = body[: links.start()] if links else body
        if not body.strip():
            raise ValueError(f"CHANGELOG.md: the entry for {version} is empty")
        return body.strip() + "\n"
    raise ValueError(f"CHANGELOG.md has no entry for {version} (`## [{version}] - YYYY-MM-DD`)")


def notes(tag: str, root: Path = ROOT) -> str:
    """The release notes for `tag`, after checking it names the package version."""
    version = package_version(root)
    if tag != f"v{version}":
        raise ValueError(f"tag {tag!r} does not name the package version {version} (v{version})")
    return entry((root / "CHANGELOG.md").read_text(encoding="utf-8"), version)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        sys.stdout.write(notes(argv[0]))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
