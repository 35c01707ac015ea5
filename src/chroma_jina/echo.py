"""User data quoted in error messages, bounded: a 10 MB id shows as its first characters and
its length, never in full."""

from __future__ import annotations

SHOWN = 100
"""At most this many characters of one value appear in a message."""
MESSAGE = 2000
"""At most this many characters of one whole message are printed by the command line."""


def shown(value: object, limit: int = SHOWN) -> str:
    """`repr(value)`, cut to `limit` characters with a `…(N chars)` marker when longer."""
    if isinstance(value, str | bytes) and len(value) > limit:
        return f"{value[:limit]!r}…({len(value):,} chars)"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(text):,} chars)"


def cut(text: str, limit: int = MESSAGE) -> str:
    """`text`, cut to `limit` characters with a `…(N chars)` marker when longer."""
    return text if len(text) <= limit else f"{text[:limit]}…({len(text):,} chars)"
