"""One address for the site: where docs.yml deploys it, and every place that links to it.

docs.yml publishes with actions/deploy-pages, so the site lives on the GitHub Pages site of the
repository mkdocs.yml names in `repo_url` (no CNAME file gives it another host). `site_url`
(canonical links, the sitemap), pyproject's [project.urls], the README and the pages must agree.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.support.paths import ROOT

MKDOCS = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
REPO_URL = MKDOCS["repo_url"]
OWNER, NAME = urlsplit(REPO_URL).path.strip("/").split("/")
PAGES_URL = f"https://{OWNER.lower()}.github.io/{NAME}/"
URL = re.compile(r"https?://[^\s)\"'<>`\]]+")


def urls_in(path: Path) -> list[str]:
    return URL.findall(path.read_text(encoding="utf-8"))


def test_repo_url_names_one_github_repository() -> None:
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPO_URL), REPO_URL


def test_docs_workflow_deploys_to_the_repository_pages_site() -> None:
    workflow = (ROOT / ".github" / "workflows" / "docs.yml").read_text(encoding="utf-8")
    assert re.search(r"uses: actions/deploy-pages@[0-9a-f]{40}", workflow)
    assert not list((ROOT / "docs").rglob("CNAME")), "a CNAME file moves the site off github.io"


def test_site_url_is_where_the_site_is_deployed() -> None:
    assert MKDOCS["site_url"] == PAGES_URL


def test_pyproject_urls_point_at_the_site_and_the_repository() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls["Documentation"] == PAGES_URL
    assert urls["Source"] == REPO_URL
    for name, url in urls.items():
        assert url.startswith((PAGES_URL, REPO_URL)), (name, url)


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "README.md",
        ROOT / "CHANGELOG.md",
        ROOT / "SECURITY.md",
        *sorted((ROOT / "docs").rglob("*.md")),
    ],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_links_to_the_site_or_the_repository_use_its_addresses(path: Path) -> None:
    for url in urls_in(path):
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:  # an example of a malformed URL (errors.md shows one), not a link
            continue
        if host.endswith("github.io") or "example.org" in host:
            assert url.startswith(PAGES_URL), f"{url} is not under {PAGES_URL}"
        if host == "github.com" and NAME in url.split("/")[4:5]:
            assert url.startswith(REPO_URL), f"{url} is not under {REPO_URL}"


def test_readme_links_to_the_deployed_site() -> None:
    assert any(url.startswith(PAGES_URL) for url in urls_in(ROOT / "README.md"))
