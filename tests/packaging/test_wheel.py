"""The package as a user gets it: the sdist and wheel are built and checked like PyPI checks them,
then the wheel alone is installed into a fresh venv (no source tree on the path) and used there.

The venv gets the runtime dependencies pinned in uv.lock from uv's cache (no download once
`make sync` has run) and then the wheel, so the run takes seconds. In the fresh venv: every module
of src/chroma_jina imports from site-packages, `py.typed` is there, the emulator's command line
starts, and the Quickstart snippet runs against it with real chromadb and prints its `#>` lines.
The last test builds a wheel that leaves a module out and shows that these checks catch it.

`CHROMA_JINA_DIST=dist make test-wheel` checks already built files instead (the release workflow).
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.chroma import stop

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "chroma_jina"
QUICKSTART = ROOT / "snippets" / "quickstart.py"
KEY = "jina_offline_emulator_key"
SDIST_DIRS = ("src", "tests", "docs", "snippets", "cassettes", "benchmarks")
"""Everything a downstream packager needs to run the suite from the sdist."""
SDIST_FILES = ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "uv.lock", "mkdocs.yml")


def uv() -> str:
    """The uv that `make` bootstraps into .tools, else one on PATH."""
    found = ROOT / ".tools" / "bin" / "uv"
    path = str(found) if found.is_file() else shutil.which("uv")
    assert path, "uv not found: run `make sync` (it installs uv into .tools/)"
    return path


def run(
    *command: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion (bounded), capturing its output."""
    return subprocess.run(
        [str(part) for part in command],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    """The stdout of a command that must have succeeded."""
    assert result.returncode == 0, (
        f"{' '.join(result.args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    )
    return result.stdout


def build(project: Path, out: Path, *only: str) -> list[Path]:
    """`uv build` (sdist, then the wheel from that sdist), from uv's cache; the files made."""
    ok(
        run(
            uv(),
            "build",
            "--offline",
            "--quiet",
            "--python",
            sys.executable,
            *only,
            "--out-dir",
            out,
            project,
        )
    )
    return sorted(out.glob("chroma_jina-*"))


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sdist, wheel): from CHROMA_JINA_DIST when set, else built from this checkout."""
    given = os.environ.get("CHROMA_JINA_DIST")
    folder = Path(given) if given else tmp_path_factory.mktemp("dist")
    made = sorted(folder.glob("chroma_jina-*")) if given else build(ROOT, folder)
    sdists = [p for p in made if p.name.endswith(".tar.gz")]
    wheels = [p for p in made if p.suffix == ".whl"]
    assert len(sdists) == 1 and len(wheels) == 1, f"expected one sdist and one wheel: {made}"
    return sdists[0], wheels[0]


def source_files() -> set[str]:
    """Files of the package in the source tree, relative to src/."""
    return {
        p.relative_to(SOURCE.parent).as_posix()
        for p in SOURCE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def source_modules() -> list[str]:
    """Dotted names of every module of the package in the source tree."""
    names = []
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def check_wheel_contents(wheel: Path) -> None:
    """The wheel holds exactly the package's files (modules, py.typed) and the license."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    packaged = {n for n in names if n.startswith("chroma_jina/")}
    missing, extra = source_files() - packaged, packaged - source_files()
    assert not missing, f"{wheel.name} is missing {sorted(missing)}"
    assert not extra, f"{wheel.name} has files that are not in src/: {sorted(extra)}"
    assert "chroma_jina/py.typed" in packaged
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), sorted(names)


def install(wheel: Path, venv: Path) -> Path:
    """A fresh venv with uv.lock's runtime dependencies and the wheel; returns its python."""
    ok(run(uv(), "venv", "--quiet", "--python", sys.executable, venv))
    python = venv / "bin" / "python"
    lock = venv / "pylock.toml"
    ok(
        run(
            uv(),
            "export",
            "--frozen",
            "--quiet",
            "--no-default-groups",
            "--no-emit-project",
            "--format",
            "pylock.toml",
            "--output-file",
            lock,
        )
    )
    installed = run(uv(), "pip", "install", "--offline", "--quiet", "--python", python, "-r", lock)
    assert installed.returncode == 0, (
        "installing uv.lock's runtime dependencies from uv's cache failed (run `make sync` "
        f"first, it fills the cache):\n{installed.stderr}"
    )
    ok(run(uv(), "pip", "install", "--offline", "--quiet", "--no-deps", "--python", python, wheel))
    ok(run(uv(), "pip", "check", "--python", python))  # the wheel's requirements are all met
    return python


EXTRAS = {
    "chroma_jina.langchain": "No module named 'langchain_core'",
    "chroma_jina.llama_index": "No module named 'llama_index'",
}
"""Modules that need an extra the venv does not have: they fail on its import and nothing else."""

PROBE = """
import importlib, json, sys
from importlib import metadata, resources
import chroma_jina
failed = {}
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = repr(exc)
print(json.dumps({
    "file": chroma_jina.__file__,
    "version": chroma_jina.__version__,
    "metadata": metadata.version("chroma-jina"),
    "py_typed": resources.files("chroma_jina").joinpath("py.typed").is_file(),
    "failed": failed,
}))
"""


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's shell: PATH and a HOME of its own, nothing from this test run."""
    return {"PATH": os.environ["PATH"], "HOME": str(home), "ANONYMIZED_TELEMETRY": "False", **extra}


def check_installed(python: Path, workdir: Path) -> None:
    """Every module imports from the venv, py.typed is there, the emulator's CLI starts, and
    the Quickstart runs against it, printing exactly its `#>` lines. Every run is `python -I`,
    from an empty folder: no source tree on the path."""
    env = user_env(workdir)
    report = json.loads(ok(run(python, "-I", "-c", PROBE, *source_modules(), cwd=workdir, env=env)))
    failed = {m: e for m, e in report["failed"].items() if EXTRAS.get(m, "\0") not in e}
    assert not failed, f"modules that do not import from the wheel: {failed}"
    assert set(report["failed"]) == set(EXTRAS), "the framework adapters need their extras"
    assert Path(report["file"]).is_relative_to(python.parent.parent), report["file"]
    assert report["py_typed"], "py.typed is not installed"
    assert report["version"] == report["metadata"], report

    usage = ok(run(python, "-I", "-m", "chroma_jina.testing", "--help", cwd=workdir, env=env))
    assert usage.startswith("usage: python -m chroma_jina.testing") and "--port" in usage, usage

    with emulator_cli(python, workdir, env) as base_url:
        program = workdir / QUICKSTART.name
        shutil.copy(QUICKSTART, program)
        user = user_env(workdir, CHROMA_JINA_API_KEY=KEY, JINA_API_BASE_URL=base_url)
        printed = ok(run(python, "-I", program, cwd=workdir, env=user, timeout=120))
    expected = [
        line.strip()[3:]
        for line in QUICKSTART.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("#> ")
    ]
    assert printed.splitlines() == expected


@contextmanager
def emulator_cli(python: Path, workdir: Path, env: dict[str, str]) -> Iterator[str]:
    """`python -m chroma_jina.testing` on a free loopback port; yields its base URL."""
    log = workdir / "emulator.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(python), "-I", "-m", "chroma_jina.testing"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not (printed := log.read_text(errors="replace")).endswith("\n"):
            assert process.poll() is None, f"the emulator exited:\n{printed}"
            assert time.monotonic() < deadline, f"the emulator printed no URL in 30 s:\n{printed}"
            time.sleep(0.05)
        base_url = printed.splitlines()[0]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", base_url), printed
        yield base_url
    finally:
        stop(process)


def test_twine_check_strict(dists: tuple[Path, Path]) -> None:
    """What PyPI checks on upload: metadata and a README that renders, warnings as errors."""
    twine = Path(sys.executable).parent / "twine"
    ok(run(twine, "check", "--strict", *dists))


def test_wheel_metadata(dists: tuple[Path, Path]) -> None:
    _, wheel = dists
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(name)
    meta = email.parser.BytesParser().parsebytes(text)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    init = (SOURCE / "__init__.py").read_text(encoding="utf-8")
    version = re.search(r'^__version__ = "([^"]+)"$', init, re.MULTILINE)
    assert version and meta["Version"] == version.group(1), "the version comes from __init__.py"
    assert wheel.name == f"chroma_jina-{meta['Version']}-py3-none-any.whl"
    assert meta["License-Expression"] == "Apache-2.0" and meta["License-File"] == "LICENSE"
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["Description-Content-Type"] == "text/markdown" and meta.get_payload().strip()
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL"))
    assert set(urls) == {"Documentation", "Source", "Changelog", "Issues"}, urls
    classifiers = set(meta.get_all("Classifier"))
    assert {"Typing :: Typed", "Programming Language :: Python :: 3 :: Only"} <= classifiers
    assert meta["Keywords"] and set(project["keywords"]) == set(meta["Keywords"].split(","))


def test_wheel_holds_the_package(dists: tuple[Path, Path]) -> None:
    check_wheel_contents(dists[1])


def test_sdist_holds_what_the_suite_needs(dists: tuple[Path, Path]) -> None:
    """tests, docs, snippets and cassettes: a downstream packager can run the suite from it."""
    sdist, _ = dists
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    wanted = {
        p.relative_to(ROOT).as_posix()
        for folder in SDIST_DIRS
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    } | set(SDIST_FILES)
    assert not wanted - names, f"{sdist.name} is missing {sorted(wanted - names)[:20]}"


def test_installed_wheel_runs_a_first_program(dists: tuple[Path, Path], tmp_path: Path) -> None:
    python = install(dists[1], tmp_path / "venv")
    (tmp_path / "work").mkdir()
    check_installed(python, tmp_path / "work")


def test_a_module_left_out_of_the_wheel_is_caught(tmp_path: Path) -> None:
    """A build config that drops a module the library import does not need (the emulator's
    faults): the contents check and the checks in the installed venv both name it."""
    project = tmp_path / "project"
    shutil.copytree(SOURCE.parent, project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, project / name)
    config = (project / "pyproject.toml").read_text(encoding="utf-8")
    packages = 'packages = ["src/chroma_jina"]\n'
    assert packages in config
    dropped = 'exclude = ["src/chroma_jina/testing/faults.py"]\n'
    config = config.replace(packages, packages + dropped)
    (project / "pyproject.toml").write_text(config, encoding="utf-8")
    [wheel] = build(project, tmp_path / "dist", "--wheel")

    with pytest.raises(AssertionError, match=r"is missing \['chroma_jina/testing/faults\.py'\]"):
        check_wheel_contents(wheel)
    python = install(wheel, tmp_path / "venv")
    (tmp_path / "work").mkdir()
    with pytest.raises(AssertionError, match=r"chroma_jina\.testing\.faults"):
        check_installed(python, tmp_path / "work")
