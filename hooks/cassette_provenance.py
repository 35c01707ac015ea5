"""Where a cassette's responses came from: the offline emulator or the real Jina API.

The contract, shared by the recording tools (tests/recording.py), the cassette tests and the
site's build hook (hooks/recorded_from.py): a cassette was recorded from the emulator when every
response carries the `x-emulated-by: chroma-jina-emulator/<version>` header, from the real API
when none does; a mix is an error. A real recording is dated by the HTTP `date` response header
of its first interaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

import yaml

PROVENANCE_HEADER = "x-emulated-by"
EMULATOR_PREFIX = "chroma-jina-emulator/"


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


def load_interactions(cassette: Path) -> list[dict]:
    """The interactions stored in a cassette file."""
    data = yaml.safe_load(cassette.read_text(encoding="utf-8")) or {}
    return data.get("interactions", [])


def response_header(interaction: dict, name: str) -> list[str]:
    """Values of a response header, matched case-insensitively."""
    headers = interaction["response"].get("headers", {})
    return [v for k, values in headers.items() if k.lower() == name for v in values]


def provenance(cassette: Path) -> str:
    """`emulated` if every response has the provenance header, `real` if none has, else `mixed`."""
    marks = {bool(response_header(i, PROVENANCE_HEADER)) for i in load_interactions(cassette)}
    return {frozenset({True}): "emulated", frozenset({False}): "real"}.get(
        frozenset(marks), "mixed"
    )


def recorded_from(cassette: Path) -> RecordedFrom:
    """The source of a cassette, as the pages show it; raises ProvenanceError when it cannot
    be told (mixed, no interactions, an emulator header without a version, a real recording
    without a `date` header)."""
    interactions = load_interactions(cassette)
    if not interactions:
        raise ProvenanceError(f"{cassette} holds no interactions")
    kind = provenance(cassette)
    if kind == "mixed":
        raise ProvenanceError(
            f"{cassette} mixes responses with and without {PROVENANCE_HEADER}: re-record it in one go"
        )
    if kind == "emulated":
        versions = {
            value.removeprefix(EMULATOR_PREFIX)
            for interaction in interactions
            for value in response_header(interaction, PROVENANCE_HEADER)
        }
        if len(versions) != 1 or not all(value and "/" not in value for value in versions):
            raise ProvenanceError(
                f"{cassette}: {PROVENANCE_HEADER} should name one {EMULATOR_PREFIX}<version>, "
                f"found {sorted(versions)}"
            )
        return RecordedFrom("emulator", emulator_version=versions.pop())
    stamps = response_header(interactions[0], "date")
    if not stamps:
        raise ProvenanceError(
            f"{cassette} was recorded from the real API but its first response has no `date` "
            "header: re-record it (make record keeps the date of real recordings)"
        )
    try:
        day = parsedate_to_datetime(stamps[0]).date()
    except (TypeError, ValueError):
        raise ProvenanceError(f"{cassette}: unreadable date header {stamps[0]!r}") from None
    return RecordedFrom("api", day=day)
