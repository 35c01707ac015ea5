import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_code_passes_ruff() -> None:
    """The library, tests, benchmarks, site hooks and CI scripts stay clean under the project's ruff
    rules."""
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run(
        [str(ruff), "check", "src", "tests", "benchmarks", "compatibility", "hooks", ".ci"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_test_runs_under_a_timeout(pytestconfig) -> None:
    """pytest-timeout is on with a default, so a hang fails one test instead of eating CI."""
    assert 0 < float(pytestconfig.getini("timeout")) <= 300


def test_pre_commit_runs_what_make_lint_runs() -> None:
    """.pre-commit-config.yaml mirrors `make lint`: the same tools, from the same .venv, with the
    same arguments (pre-commit passes the staged files where make passes `.`)."""
    import yaml

    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe, "the Makefile has no lint target"
    make = [line.strip().replace("$(VENV)/", ".venv/") for line in recipe.group(1).splitlines()]
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"])
    assert all(hook["language"] == "system" for hook in hooks)
    hooked = [
        " ".join(arg for arg in hook["entry"].split() if arg != "--force-exclude")
        + ("" if hook.get("pass_filenames", True) is False else " .")
        for hook in hooks
    ]
    assert hooked == make
    test_recipe = re.search(r"^test:(.*)", (ROOT / "Makefile").read_text(), re.M)
    assert test_recipe and "lint" in test_recipe.group(1).split()


def test_the_type_checker_is_pinned_strict_and_every_ignore_says_why() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["mypy"]["strict"] is True
    assert pyproject["tool"]["mypy"]["files"] == ["src"]
    assert any(dep.startswith("mypy==") for dep in pyproject["dependency-groups"]["test"])
    unexplained = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "type: ignore" in line
        and not re.search(r"# type: ignore\[[a-z-]+(, ?[a-z-]+)*\]  # \S", line)
    ]
    assert not unexplained, f"type: ignore without [code] and a reason: {unexplained}"
