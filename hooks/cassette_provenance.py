"""Where a cassette's responses came from: the offline emulator or the real Jina API.

The contract, shared by the recording tools (tests/docs/recording.py), the cassette tests and the
site's build hook (hooks/recorded_from.py): a cassette was recorded from the emulator when every
response carries the `x-emulated-by: chroma-jina-emulator/<version>` header, from the real API
when none does; a mix is an error. A real recording is dated by the HTTP `date` response header
of its first interaction.

Cassettes come from pull requests like any file, so what is read from them is checked: a version
must look like a version (VERSION), nothing else of a header reaches a page. Each cassette is
parsed once per change (cached by path, mtime and size) with libyaml's C loader when available.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import yaml

PROVENANCE_HEADER = "x-emulated-by"
EMULATOR_PREFIX = "chroma-jina-emulator/"
VERSION = re.compile(
    r"\d{1,4}(?:\.\d{1,4}){1,3}(?:(?:a|b|rc)\d{1,4})?(?:\.post\d{1,4})?(?:\.dev\d{1,4})?"
    r"(?:\+[a-z0-9]{1,16}(?:\.[a-z0-9]{1,16}){0,3})?"
)
"""What an emulator version may be (a PEP 440 version, normalized): anything else is refused."""
SHOWN = 80
"""At most this many characters of a refused value appear in an error message."""


class ProvenanceError(ValueError):
    """A cassette whose source cannot be told: mixed, empty, or a real one without a date."""


@dataclass(frozen=True)
class RecordedFrom:
    """The source of one cassette's responses."""

    kind: str
    """"emulator" or "api" (the values of the pages' `data-recorded-from` attribute)."""
    emulator_version: str | None = None
    """The emulator's version, for emulator recordings."""
    day: date | None = None
    """The day of the recording, for recordings from the real API."""


def load_interactions(cassette: Path) -> list[dict[str, Any]]:
    """The interactions stored in a cassette file."""
    text = cassette.read_text(encoding="utf-8")
    # libyaml's C loader parses a cassette about ten times faster than PyYAML's Python one
    if yaml.__with_libyaml__:
        data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
    else:  # PyYAML built without libyaml
        data = yaml.safe_load(text) or {}
    interactions = data.get("interactions", []) if isinstance(data, dict) else None
    if not isinstance(interactions, list) or not all(isinstance(i, dict) for i in interactions):
        raise ProvenanceError(f"{cassette}: `interactions` is not a list of mappings")
    return interactions


def _shown(value: str) -> str:
    """A value quoted for an error message, cut to SHOWN characters."""
    if len(value) <= SHOWN:
        return repr(value)
    return f"{value[:SHOWN]!r}…({len(value)} chars)"


def response_header(interaction: dict[str, Any], name: str) -> list[str]:
    """Values of a response header, matched case-insensitively (only string values)."""
    response = interaction.get("response")
    headers = response.get("headers") if isinstance(response, dict) else None
    if not isinstance(headers, dict):
        return []
    return [
        v
        for k, values in headers.items()
        if isinstance(k, str) and k.lower() == name and isinstance(values, list)
        for v in values
        if isinstance(v, str)
    ]


def _provenance(interactions: list[dict[str, Any]]) -> str:
    marks = {bool(response_header(i, PROVENANCE_HEADER)) for i in interactions}
    return {frozenset({True}): "emulated", frozenset({False}): "real"}.get(
        frozenset(marks), "mixed"
    )


def provenance(cassette: Path) -> str:
    """`emulated` if every response has the provenance header, `real` if none has, else `mixed`."""
    return _provenance(load_interactions(cassette))


_cache: dict[Path, tuple[tuple[int, int], RecordedFrom]] = {}
"""recorded_from's answers by cassette, with the (mtime_ns, size) they were read at. It lives in
this module, imported once per process, so `mkdocs serve` keeps it across rebuilds (the hooks
themselves are re-executed on each one)."""


def recorded_from(cassette: Path) -> RecordedFrom:
    """The source of a cassette, as the pages show it; raises ProvenanceError when it cannot
    be told (mixed, no interactions, an emulator header without a valid version, a real
    recording without a `date` header). A cassette unchanged since the last call is not
    read again."""
    stat = cassette.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    key = cassette.resolve()
    cached = _cache.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    source = _read_recorded_from(cassette)
    _cache[key] = (stamp, source)
    return source


def _read_recorded_from(cassette: Path) -> RecordedFrom:
    interactions = load_interactions(cassette)
    if not interactions:
        raise ProvenanceError(f"{cassette} holds no interactions")
    kind = _provenance(interactions)
    if kind == "mixed":
        raise ProvenanceError(
            f"{cassette} mixes responses with and without {PROVENANCE_HEADER}: re-record it in one go"
        )
    if kind == "emulated":
        values = sorted(
            {
                value
                for interaction in interactions
                for value in response_header(interaction, PROVENANCE_HEADER)
            }
        )
        version = values[0].removeprefix(EMULATOR_PREFIX) if len(values) == 1 else ""
        if not (values[0].startswith(EMULATOR_PREFIX) and VERSION.fullmatch(version)):
            found = ", ".join(_shown(v) for v in values[:3])
            raise ProvenanceError(
                f"{cassette}: {PROVENANCE_HEADER} should name one {EMULATOR_PREFIX}<version> "
                f"(a version like 0.1.0), found {found}"
            )
        return RecordedFrom("emulator", emulator_version=version)
    stamps = response_header(interactions[0], "date")
    if not stamps:
        raise ProvenanceError(
            f"{cassette} was recorded from the real API but its first response has no `date` "
            "header: re-record it (make record keeps the date of real recordings)"
        )
    try:
        day = parsedate_to_datetime(stamps[0]).date()
    except (TypeError, ValueError):
        raise ProvenanceError(f"{cassette}: unreadable date header {_shown(stamps[0])}") from None
    return RecordedFrom("api", day=day)
