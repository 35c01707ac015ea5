"""The real-API recording path (`make record` with `JINA_API_KEY`), run end to end without a key.

A stand-in answers instead of api.jina.ai: the offline emulator on loopback with its provenance
header switched off, reached through `CHROMA_JINA_RECORD_BASE_URL` with a key-shaped secret made up
for each test (it accepts no other key). Two small snippets are recorded into a temporary
directory; the cassettes must name the real API, hold no key, read as recorded from the API on
today's date, and replay. The TypeScript side of the same path is in test_typescript.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from pytest_examples import EvalExample

from chroma_jina.testing import EMULATOR_HEADER, ErrorReply, JinaEmulator
from tests.docs.docs_examples import ROOT, snippet_example
from tests.docs.recording import (
    RECORD_BASE_URL_ENV,
    SECRET_MASK,
    _scrub_interaction,
    check_recording,
    leaks,
    provenance,
    real_api,
    recorded_on,
    recording,
    replaying,
    tokens_billed,
)

SNIPPETS = [ROOT / "snippets" / "hello.py", ROOT / "snippets" / "errors.py"]
REAL_URI = "https://api.jina.ai/v1/embeddings"
LEAKY_SNIPPETS = {
    "chroma_jina_error": """\
from chroma_jina import AuthenticationError, JinaEmbeddingFunction

jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3")
try:
    jina(["hello"])
except AuthenticationError as error:
    print(error.message)
    #> the key *** was revoked
""",
    "raw_body": """\
import os

import httpx

base_url = os.environ.get("JINA_API_BASE_URL", "https://api.jina.ai/v1")
key = os.environ["CHROMA_JINA_API_KEY"]
response = httpx.post(
    f"{base_url}/embeddings",
    headers={"Authorization": f"Bearer {key}"},
    json={"model": "jina-embeddings-v3", "input": ["hello"]},
)
print(response.status_code, response.json()["detail"])
#> 401 the key *** was revoked
""",
}
"""Programs that print an error the API sent: through chroma-jina's error, which masks the key
itself, and as the raw body, where only the recording's output filter can."""


@pytest.fixture
def secret() -> str:
    """Shaped like a Jina key, obviously fake, new for every test and never written to the repo."""
    return "jina_FAKE" + secrets.token_hex(24)


@pytest.fixture
def stand_in(secret: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[JinaEmulator]:
    """The emulator as the real API would answer (no provenance header), set up as `make record`
    with a key and the base URL override would find it."""
    emulator = JinaEmulator(provenance_header=False, api_keys=[secret])
    with emulator.serve() as base_url:
        monkeypatch.setenv("JINA_API_KEY", secret)
        monkeypatch.setenv(RECORD_BASE_URL_ENV, base_url)
        yield emulator


def record(snippet: Path, cassette: Path, eval_example: EvalExample, tmp_path: Path) -> None:
    """What `make record SNIPPET=...` does, except that the outputs are checked, not rewritten."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        recording(snippet, monkeypatch, tmp_path, cassette=cassette) as output_filter,
    ):
        eval_example.print_callback = output_filter
        eval_example.run_print_check(snippet_example(snippet))
    eval_example.print_callback = None


def replay(snippet: Path, cassette: Path, eval_example: EvalExample) -> None:
    """What `make test` does with the snippet, from `cassette`."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        replaying(snippet, monkeypatch, cassette=cassette),
    ):
        eval_example.run_print_check(snippet_example(snippet))


# The snippet never closes its function (examples do not call close()), and the library closes
# a function's own client only at interpreter exit, not when the function is garbage-collected:
# its connection to the stand-in server is left open (reported in issue 25's closing note)
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda p: p.name)
def test_recording_from_the_api_through_a_stand_in(
    snippet: Path, stand_in: JinaEmulator, secret: str, eval_example: EvalExample, tmp_path: Path
) -> None:
    cassette = tmp_path / "cassettes" / f"{snippet.stem}.yaml"
    before = datetime.now(UTC).date()
    # The stand-in refuses any key but the secret, so the outputs match only if it was sent.
    record(snippet, cassette, eval_example, tmp_path)
    after = datetime.now(UTC).date()

    text = cassette.read_text(encoding="utf-8")
    assert secret not in text and secret.removeprefix("jina_") not in text
    assert leaks(cassette, secret) == []
    interactions = yaml.safe_load(text)["interactions"]
    assert len(interactions) == len(stand_in.requests) > 0
    for interaction in interactions:
        request, response = interaction["request"], interaction["response"]
        assert request["uri"] == REAL_URI
        assert request["headers"]["host"] == ["api.jina.ai"]
        assert "authorization" not in {name.lower() for name in request["headers"]}
        assert EMULATOR_HEADER not in {name.lower() for name in response["headers"]}
    assert provenance(cassette) == "real"
    assert before <= recorded_on(cassette) <= after
    assert tokens_billed(cassette) == stand_in.stats.tokens

    replay(snippet, cassette, eval_example)


@pytest.mark.parametrize("program", LEAKY_SNIPPETS)
def test_a_key_echoed_in_an_error_body_is_masked_in_recording_and_output(
    program: str, stand_in: JinaEmulator, secret: str, eval_example: EvalExample, tmp_path: Path
) -> None:
    snippet = tmp_path / f"{program}.py"
    snippet.write_text(LEAKY_SNIPPETS[program], encoding="utf-8")
    cassette = tmp_path / f"{program}.yaml"
    stand_in.script(ErrorReply(401, "AUTH_INVALID_API_KEY", f"the key {secret} was revoked"))
    # The #> line says ***: the check fails if the printed secret got through.
    record(snippet, cassette, eval_example, tmp_path)

    assert secret not in cassette.read_text(encoding="utf-8")
    (interaction,) = yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]
    assert f"the key {SECRET_MASK} was revoked" in interaction["response"]["body"]["string"]
    assert interaction["response"]["status"]["code"] == 401
    replay(snippet, cassette, eval_example)


def test_a_recording_that_still_holds_the_key_is_not_saved(secret: str, tmp_path: Path) -> None:
    """The last guard, behind the scrubbing: it reads the cassette file as written."""
    scratch = tmp_path / "cassette.yaml"
    response = {
        "status": {"code": 401, "message": "Unauthorized"},
        "headers": {"content-type": ["application/json"]},
        "body": {"string": f'{{"detail":"the key {secret} was revoked"}}'},
    }
    interaction = {"request": {"uri": REAL_URI, "headers": {}}, "response": response}
    scratch.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}))
    assert leaks(scratch, secret) == ["interaction 1: a key in the response"]
    with pytest.raises(pytest.fail.Exception, match="would leak the API key") as failure:
        check_recording(tmp_path / "leaky.py", scratch, "real", secret)
    assert secret not in str(failure.value)
    assert not scratch.exists()


def test_a_zstd_body_is_decoded_before_the_key_is_scrubbed(secret: str) -> None:
    """httpx offers zstd when `zstandard` is installed, and vcrpy decodes only gzip, deflate and br:
    a zstd body would be saved compressed, where the mask cannot see an echoed key."""
    import vcr.request
    import zstandard

    plain = f'{{"detail":"the key {secret} was revoked"}}'.encode()
    packed = zstandard.ZstdCompressor().compress(plain)
    response = {
        "status": {"code": 401, "message": "Unauthorized"},
        "headers": {"Content-Encoding": ["zstd"], "Content-Length": [str(len(packed))]},
        "body": {"string": packed},
    }
    request = vcr.request.Request("POST", REAL_URI, b"{}", {})
    _, saved = _scrub_interaction(request, response, secret=secret)
    assert saved["body"]["string"] == plain.replace(secret.encode(), SECRET_MASK.encode())
    assert {k.lower() for k in saved["headers"]} == {"content-length"}

    response["headers"]["Content-Encoding"] = ["compress"]
    with pytest.raises(ValueError, match="cannot be checked"):
        _scrub_interaction(request, response, secret=secret)


def test_a_cassette_with_a_compressed_body_is_a_leak(tmp_path: Path) -> None:
    scratch = tmp_path / "cassette.yaml"
    response = {"headers": {"content-encoding": ["zstd"]}, "body": {"string": "(bytes)"}}
    interaction = {"request": {"uri": REAL_URI, "headers": {}}, "response": response}
    scratch.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}))
    assert leaks(scratch, None) == [
        "interaction 1: a compressed response body, which cannot be checked"
    ]


def test_the_override_needs_a_key_and_a_safe_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JINA_API_KEY", raising=False)
    monkeypatch.delenv(RECORD_BASE_URL_ENV, raising=False)
    assert real_api() is None
    monkeypatch.setenv(RECORD_BASE_URL_ENV, "http://127.0.0.1:9/v1")
    with pytest.raises(pytest.fail.Exception, match="JINA_API_KEY is not"):
        real_api()
    monkeypatch.setenv("JINA_API_KEY", "jina_FAKE" + "0" * 40)
    assert real_api().base_url == "http://127.0.0.1:9/v1"
    monkeypatch.setenv(RECORD_BASE_URL_ENV, "http://example.com/v1")
    with pytest.raises(pytest.fail.Exception, match="in the clear"):
        real_api()
    monkeypatch.delenv(RECORD_BASE_URL_ENV)
    assert real_api().base_url == "https://api.jina.ai/v1"
