"""Which Chinese pages are behind their English source.

Each page of docs/zh names, in its front matter, the version of its English page it translates:
the git blob id of docs/en/<same path> (what `git hash-object` prints), e.g.

    ---
    translates: 4b825dc642cb6eb9a060e54bf8d69288fbee4904
    ---

A page is stale when the English file's blob id is no longer that one. `git diff <old> <new>`
shows what changed in English since; after updating the Chinese page, record the new id.

    python tests/translations.py              # list stale pages (exit 1 if any)
    python tests/translations.py --mark PAGE  # record that docs/zh/PAGE now follows docs/en/PAGE
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EN = ROOT / "docs" / "en"
ZH = ROOT / "docs" / "zh"
FRONT_MATTER = re.compile(r"\A---\n(?P<body>.*?\n)---\n", re.DOTALL)
RECORD = re.compile(r"^translates:[ \t]*(?P<id>[0-9a-f]{40})[ \t]*(?:#.*)?$", re.MULTILINE)
RECORD_LINE = "translates: {id}  # git blob id of the English page this page translates"


def blob_id(path: Path) -> str:
    """The file's git blob id (as `git hash-object` computes it), without needing git."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def recorded(zh_page: Path) -> str | None:
    """The English blob id a Chinese page says it translates, or None if it records none."""
    front = FRONT_MATTER.match(zh_page.read_text(encoding="utf-8"))
    found = RECORD.search(front.group("body")) if front else None
    return found.group("id") if found else None


@dataclass(frozen=True)
class Status:
    """One Chinese page against its English source."""

    page: str
    """Path under docs/zh (and docs/en), e.g. `options/task.md`."""
    translates: str | None
    current: str

    @property
    def stale(self) -> bool:
        return self.translates != self.current

    def explain(self) -> str:
        """What is wrong and how to fix it, in one paragraph."""
        mark = f"make translations MARK={self.page}"
        if self.translates is None:
            return (
                f"docs/zh/{self.page} does not say which version of docs/en/{self.page} it "
                f"translates: check it against the English page, then run `{mark}`"
            )
        return (
            f"docs/zh/{self.page} translates an older docs/en/{self.page}: "
            f"`git diff {self.translates[:12]} {self.current[:12]}` shows what changed in English; "
            f"update the Chinese page to match, then run `{mark}`"
        )


def statuses() -> list[Status]:
    """Every Chinese page whose English source exists, in path order."""
    return [
        Status(page.relative_to(ZH).as_posix(), recorded(page), blob_id(EN / page.relative_to(ZH)))
        for page in sorted(ZH.rglob("*.md"))
        if (EN / page.relative_to(ZH)).is_file()
    ]


def mark(page: str) -> str:
    """Record in docs/zh/<page> that it translates the current docs/en/<page>; return the id."""
    page = page.removeprefix("docs/").removeprefix("zh/").removeprefix("en/")
    zh_page, en_page = ZH / page, EN / page
    if not zh_page.is_file() or not en_page.is_file():
        raise SystemExit(f"no page {page} in both docs/en and docs/zh")
    current = blob_id(en_page)
    line = RECORD_LINE.format(id=current)
    text = zh_page.read_text(encoding="utf-8")
    front = FRONT_MATTER.match(text)
    if front is None:
        text = f"---\n{line}\n---\n\n{text}"
    elif RECORD.search(front.group("body")):
        body = RECORD.sub(line, front.group("body"), count=1)
        text = f"---\n{body}---\n{text[front.end() :]}"
    else:
        text = f"---\n{front.group('body')}{line}\n---\n{text[front.end() :]}"
    zh_page.write_text(text, encoding="utf-8")
    return current


def main(argv: list[str]) -> int:
    if argv[:1] == ["--mark"] and len(argv) == 2:
        print(f"docs/zh/{argv[1]} now records docs/en/{argv[1]} at {mark(argv[1])[:12]}")
        return 0
    if argv:
        print(__doc__)
        return 2
    found = statuses()
    stale = [s for s in found if s.stale]
    for status in stale:
        print(status.explain())
    print(f"{len(found) - len(stale)} of {len(found)} Chinese pages are up to date")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
