"""mkdocs hook: keep the theme's compiled templates between builds.

Every build compiles Material's templates again, twice (the English site, then the Chinese one,
each with its own Jinja environment), and `mkdocs serve` does it again on each rebuild. Jinja's
bytecode cache keeps the compiled code, keyed by each template's source (a changed template is
compiled again), in a directory of the current user's only (mode 0700, checked by Jinja).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache

_cache = FileSystemBytecodeCache()


def on_env(env: Environment, config: Any, files: Any) -> Environment:
    env.bytecode_cache = _cache
    return env
