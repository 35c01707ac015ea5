import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
