"""Check that every runtime dependency resolved to exactly its lower bound in pyproject.toml.

Run by `.ci/lowest` with the python of the lowest-direct venv. A dependency that resolved above
its bound means something else requires more (another package, or the first wheel for this
Python): the bound promises a version that cannot be installed, so nothing ever tested it.
"""

from __future__ import annotations

import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def runtime_requirements(extras: list[str]) -> list[Requirement]:
    """The dependencies of pyproject.toml and the named extras that apply to this Python."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    chosen = [project["optional-dependencies"][name] for name in extras]
    texts = [*project["dependencies"], *(text for extra in chosen for text in extra)]
    requirements = [Requirement(text) for text in texts]
    return [r for r in requirements if r.marker is None or r.marker.evaluate()]


def main(extras: list[str]) -> int:
    """Check the dependencies and the extras named (those .ci/lowest installed)."""
    untrue = []
    for requirement in runtime_requirements(extras):
        floors = [s.version for s in requirement.specifier if s.operator == ">="]
        if len(floors) != 1:
            untrue.append(f"{requirement}: give it exactly one lower bound (>=)")
            continue
        resolved = version(requirement.name)
        print(f"{requirement.name:<10} >={floors[0]:<8} resolved {resolved}")
        if Version(resolved) != Version(floors[0]):
            untrue.append(f"{requirement}: the lowest resolution installs {resolved}")
    for problem in untrue:
        print(f"error: {problem}; raise the bound to what was tested", file=sys.stderr)
    return 1 if untrue else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
