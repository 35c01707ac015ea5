"""Cassette hygiene: every cassette belongs to a snippet, holds no credentials, and says where it
came from (responses of the offline emulator carry `x-emulated-by`, real ones do not)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import yaml

from tests.docs.docs_examples import ROOT, snippet_for
from tests.docs.recording import (
    PROVENANCE_HEADER,
    all_cassettes,
    leaks,
    make_vcr,
    provenance,
    provenance_summary,
    recorded_on,
    refuse_to_replace_real,
    token_cost_summary,
    tokens_billed,
)

CASSETTES = all_cassettes()
# Built at run time so that no key-shaped literal sits in the source tree.
FAKE_REAL_KEY = "jina_" + "0123456789abcdef" * 4


def test_no_cassette_is_unused() -> None:
    orphans = [c.relative_to(ROOT).as_posix() for c in CASSETTES if snippet_for(c) is None]
    assert not orphans, (
        f"cassettes without a snippet of the same name (delete them, or rename them with the "
        f"snippet): {orphans}"
    )


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda c: c.relative_to(ROOT).as_posix())
def test_cassette_holds_no_credentials(cassette: Path) -> None:
    assert leaks(cassette, None) == [], f"{cassette.relative_to(ROOT)} could leak a key"


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda c: c.relative_to(ROOT).as_posix())
def test_cassette_is_all_real_or_all_emulated(cassette: Path) -> None:
    assert provenance(cassette) in ("real", "emulated"), (
        f"{cassette.relative_to(ROOT)} mixes responses with and without {PROVENANCE_HEADER}: "
        "re-record it in one go"
    )


def test_every_real_cassette_says_when_it_was_recorded() -> None:
    """The docs show "recorded from the Jina API on DATE", from the first response's `date`."""
    undated = [
        c.relative_to(ROOT).as_posix()
        for c in CASSETTES
        if provenance(c) == "real" and recorded_on(c) is None
    ]
    assert not undated, f"recorded from the real API without a date header: {undated}"


def test_recording_scrubs_keys_and_authorization(tmp_path: Path) -> None:
    """Record through the real VCR set-up (a MockTransport stands in for the API), read the YAML."""

    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"x-echo-key": FAKE_REAL_KEY, "set-cookie": "session=1"},
            json={"echo": request.headers["authorization"], "data": []},
        )

    cassette = tmp_path / "scrubbed.yaml"
    with make_vcr("all", secret="an-odd-shaped-secret").use_cassette(str(cassette)):
        client = httpx.Client(transport=httpx.MockTransport(api), base_url="http://127.0.0.1:9/v1")
        client.post(
            "/embeddings",
            headers={"Authorization": f"Bearer {FAKE_REAL_KEY}"},
            json={
                "model": "jina-embeddings-v3",
                "input": [f"my key is {FAKE_REAL_KEY}", "and an-odd-shaped-secret"],
            },
        )
    text = cassette.read_text(encoding="utf-8")
    assert "jina_0123456789" not in text
    assert "an-odd-shaped-secret" not in text
    assert "authorization" not in text.lower()
    assert "set-cookie" not in text.lower()
    request = yaml.safe_load(text)["interactions"][0]["request"]
    assert request["uri"] == "https://api.jina.ai/v1/embeddings"
    assert request["headers"]["host"] == ["api.jina.ai"]


def write_cassette(path: Path, *headers: dict[str, list[str]]) -> Path:
    """A minimal cassette whose responses carry the given headers."""
    interactions = [{"request": {}, "response": {"headers": h}} for h in headers]
    path.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}), encoding="utf-8")
    return path


def test_emulated_recording_never_replaces_a_real_cassette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = write_cassette(tmp_path / "real.yaml", {"content-type": ["application/json"]})
    snippet = ROOT / "snippets" / "quickstart.py"
    monkeypatch.delenv("CHROMA_JINA_RECORD_FORCE", raising=False)
    with pytest.raises(pytest.fail.Exception, match="recorded from the real Jina API"):
        refuse_to_replace_real(snippet, real, "emulated")
    refuse_to_replace_real(snippet, real, "real")
    monkeypatch.setenv("CHROMA_JINA_RECORD_FORCE", "1")
    refuse_to_replace_real(snippet, real, "emulated")


def test_summary_counts_real_emulated_and_mixed(tmp_path: Path) -> None:
    emulated = {PROVENANCE_HEADER: ["chroma-jina-emulator/0.1.0"]}
    real = {"content-type": ["application/json"]}
    cassettes = [
        write_cassette(tmp_path / "a.yaml", real, real),
        write_cassette(tmp_path / "b.yaml", emulated),
        write_cassette(tmp_path / "c.yaml", emulated, emulated),
        write_cassette(tmp_path / "d.yaml", emulated, real),
    ]
    assert [provenance(c) for c in cassettes] == ["real", "emulated", "emulated", "mixed"]
    assert provenance_summary(cassettes) == (
        "cassettes: 4 (1 recorded from the real Jina API, 2 from the offline emulator, 1 MIXED)"
    )


def test_recording_date_and_token_cost_are_read_from_the_responses(tmp_path: Path) -> None:
    def with_body(path: Path, *bodies: str, date: str | None = None) -> Path:
        headers = {"Date": [date]} if date else {}
        interactions = [
            {"request": {}, "response": {"headers": headers, "body": {"string": b}}} for b in bodies
        ]
        path.write_text(yaml.safe_dump({"version": 1, "interactions": interactions}))
        return path

    real = with_body(
        tmp_path / "real.yaml",
        '{"usage":{"total_tokens":7,"prompt_tokens":7},"data":[]}',
        '{"detail":"refused","code":"INPUT_TOKEN_LIMIT_EXCEEDED"}',
        "<html>bad gateway</html>",
        date="Tue, 01 Dec 2026 23:59:59 GMT",
    )
    emulated = with_body(tmp_path / "emulated.yaml", '{"usage":{"total_tokens":1200}}')
    assert str(recorded_on(real)) == "2026-12-01"
    assert recorded_on(emulated) is None
    assert token_cost_summary([real, emulated]) == (
        "a full re-recording from the real Jina API costs about 1,207 tokens "
        "(usage.total_tokens summed over the cassettes)"
    )


def test_contributing_states_what_a_full_re_recording_costs_today() -> None:
    """Contributing quotes the cost `make record` prints, rounded: a new cassette must update it."""
    total = sum(tokens_billed(c) for c in all_cassettes())
    en = (ROOT / "docs" / "en" / "contributing.md").read_text(encoding="utf-8")
    zh = (ROOT / "docs" / "zh" / "contributing.md").read_text(encoding="utf-8")
    stated = [
        int(n.replace(",", "")) for n in re.findall(r"about ([\d,]+)(?= for every| tokens)", en)
    ]
    stated += [round(float(n) * 10_000) for n in re.findall(r"约 ([\d.]+) 万个", zh)]
    assert len(stated) == 4, stated
    for figure in stated:
        assert abs(figure - total) <= 0.02 * total, f"the page says {figure:,}; today {total:,}"
