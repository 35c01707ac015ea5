"""Where things are: the checkout, and the real API's captures kept outside it."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The checkout."""

CAPTURES_ENV = "CHROMA_JINA_CAPTURES"


def find_captures() -> Path | None:
    """The folder of the real API's captures (third-party traffic and catalogs, not copied into
    the repository): `$CHROMA_JINA_CAPTURES`, else `shared/reference/captures` beside the
    checkout or beside a folder above it (a git worktree); None when there is none."""
    named = os.environ.get(CAPTURES_ENV)
    if named:
        return Path(named) if Path(named).is_dir() else None
    return next(
        (
            d / "shared" / "reference" / "captures"
            for d in ROOT.parents
            if (d / "shared" / "reference" / "captures").is_dir()
        ),
        None,
    )


MISSING_CAPTURES = (
    "captures: the real API's captures are not here (../shared/reference/captures beside the "
    f"checkout, or ${CAPTURES_ENV}); they are not part of the repository"
)
"""The reason a test that compares against the captures is skipped without them."""
