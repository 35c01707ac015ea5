"""TypeScript examples: type-check snippets/ts/*.ts (and their Chinese variants, snippets/zh/ts/*.ts)
and run each in node against its cassette (cassettes/ts/*.yaml, cassettes/zh/ts/*.yaml).

Each snippet runs with a real Chroma server on loopback (`chroma run`) for the collection calls; its Jina
requests are answered from its cassette by the preload tests/docs/ts/replay.mjs, and what it prints must equal
the `//> ` lines under each console.log. Then tests/docs/ts/differences.ts probes the real @chroma-core/jina
package for each difference the TypeScript page states.

Record the cassettes and refresh the `//> ` lines: `make record-ts` (= CHROMA_JINA_TS_RECORD=1
.venv/bin/pytest tests/docs/test_typescript.py), from the real API when JINA_API_KEY is set, else from the
offline emulator, with the same rules as the Python snippets (tests/docs/recording.py): the key masked, a
real response keeps its `date`, and an emulated recording does not replace a real one unless
CHROMA_JINA_RECORD_FORCE=1.
Cassette hygiene shared with the Python snippets (no credentials, no orphans, one provenance) is
in test_cassettes.py, which covers cassettes/ts/ too.
"""

from __future__ import annotations

import difflib
import json
import os
import secrets
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
import httpx
import pytest
import yaml

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import ErrorReply, Fault, JinaEmulator, SlowResponse, TooManyRequests
from tests.docs.docs_examples import cassette_for, shown, zh_variant
from tests.docs.recording import (
    PROVENANCE_HEADER,
    RECORD_BASE_URL_ENV,
    SECRET_MASK,
    check_recording,
    leaks,
    output_filter,
    provenance,
    real_api,
    recorded_on,
    refuse_to_replace_real,
)
from tests.support.chroma import chroma_server, forget_clients_of

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.node
TS_SNIPPETS = sorted((ROOT / "snippets" / "ts").glob("*.ts")) + sorted(
    (ROOT / "snippets" / "zh" / "ts").glob("*.ts")
)
"""snippets/ts/*.ts, then their Chinese variants (snippets/zh/ts/*.ts, shown on the zh site only)."""
TS_IDS = [p.relative_to(ROOT / "snippets").as_posix() for p in TS_SNIPPETS]
LIVE_EMULATOR = {"emulator.ts"}
"""Snippets that show a reader how to reach the emulator: they run against a live one through
JINA_API_BASE_URL, as a reader runs them, with no cassette (a request to api.jina.ai fails them)."""
RECORDED = [p for p in TS_SNIPPETS if p.name not in LIVE_EMULATOR]
PYTHON_HANDBOOKS = {
    "ts/python_collection.ts": (
        "handbook",
        {
            "release": "To ship a release, a team tags the main branch and the pipeline deploys it.",
            "leave": "Holidays are requested in the HR portal two weeks ahead.",
            "laptop": "New laptops are ordered through the IT help desk.",
        },
    ),
    "zh/ts/python_collection.ts": (
        "handbook-zh",
        {
            "release": "团队给主分支打上标签，流水线随后部署，新版本就发布了。",
            "leave": "休假要提前两周在人事系统里申请。",
            "laptop": "新笔记本电脑通过 IT 服务台申领。",
        },
    ),
}
"""Snippets that open a collection a Python service made: (name, documents) it is created and
filled with from Python with chroma-jina (vectors from the emulator) before the snippet runs."""
PAGES = {lang: ROOT / "docs" / lang / "typescript.md" for lang in ("en", "zh")}
RECORD = os.environ.get("CHROMA_JINA_TS_RECORD") == "1"
FAKE_KEY = "jina_offline_emulator_key"
RECORD_COMMAND = "make record-ts"
NODE_TIMEOUT = 60
JINA_ENDPOINTS = ("https://api.jina.ai/v1/embeddings", "https://api.jina.ai/v1/rerank")
"""What a snippet's cassette may hold: requests to the Jina API's endpoints, nothing else."""


# --- set-up: a Chroma server (node packages come from the node_modules fixture in conftest.py) -----


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (`chroma run`) on loopback, for the snippets' collection calls."""
    with chroma_server(tmp_path_factory.mktemp("chroma") / "data") as url:
        yield url


# --- running a snippet --------------------------------------------------------------------------------


@dataclass
class NodeRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: list[tuple[int | None, str]]  # (source line of the console.log call, printed text)


def node_env(key: str = FAKE_KEY, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("JINA_API_KEY", "CHROMA_JINA_API_KEY")}
    env["JINA_API_KEY"] = key
    env.update(extra)
    return env


def run_snippet(
    snippet: Path,
    chroma_url: str,
    tmp_path: Path,
    *,
    upstream: str | None = None,
    key: str = FAKE_KEY,
    cassette: Path | None = None,
    **extra_env: str,
) -> NodeRun:
    """Run one snippet in node with the replay (or, given `upstream`, record) preload, on its own
    cassette or on `cassette`."""
    output_file = tmp_path / f"{snippet.stem}.outputs.jsonl"
    env = node_env(
        key,
        CHROMA_JINA_TS_SNIPPET=shown(snippet),
        CHROMA_JINA_TS_CASSETTE=str(cassette or cassette_for(snippet)),
        CHROMA_JINA_TS_MODE="record" if upstream else "replay",
        CHROMA_JINA_TS_CHROMA=chroma_url,
        CHROMA_JINA_TS_OUTPUT=str(output_file),
        **extra_env,
    )
    if upstream:
        env["CHROMA_JINA_TS_UPSTREAM"] = upstream
    result = subprocess.run(
        ["node", "--import", "tsx", "--import", "./tests/docs/ts/replay.mjs", shown(snippet)],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
    )
    outputs = []
    if output_file.exists():
        for line in output_file.read_text().splitlines():
            item = json.loads(line)
            outputs.append((item["line"], item["text"]))
    return NodeRun(result.returncode, result.stdout, result.stderr, outputs)


def is_output_comment(line: str) -> bool:
    return line.lstrip().startswith("//>")


def statement_end(lines: list[str], start: int) -> int:
    """Index of the line that closes the call starting at `start` (parentheses balance again)."""
    depth = 0
    for index in range(start, len(lines)):
        depth += lines[index].count("(") - lines[index].count(")")
        if depth <= 0:
            return index
    return len(lines) - 1


def render_outputs(source: str, outputs: list[tuple[int | None, str]]) -> str:
    """The source with every `//> ` line replaced by what the run printed, under the call that printed it."""
    lines = source.splitlines()
    printed: dict[int, list[str]] = defaultdict(list)
    for line, text in outputs:
        assert line is not None, f"console.log from outside the snippet printed {text!r}"
        printed[line].extend(text.split("\n"))
    inserts: dict[int, list[str]] = defaultdict(list)
    for line, texts in printed.items():
        call = lines[line - 1]
        indent = call[: len(call) - len(call.lstrip())]
        inserts[statement_end(lines, line - 1)].extend(f"{indent}//> {t}".rstrip() for t in texts)
    rendered = []
    for index, line in enumerate(lines):
        if not is_output_comment(line):
            rendered.append(line)
            rendered.extend(inserts.get(index, []))
    return "\n".join(rendered) + "\n"


def record_snippet(
    snippet: Path, chroma_url: str, tmp_path: Path, *, cassette: Path | None = None
) -> str:
    """Record the snippet's cassette (or `cassette`): from the real API when JINA_API_KEY is set,
    else from the offline emulator. Returns the snippet's source with the `//> ` lines it printed."""
    real = real_api()
    source, secret = ("real", real.key) if real else ("emulated", None)
    target = cassette or cassette_for(snippet)
    refuse_to_replace_real(snippet, target, source)
    scratch = tmp_path / "recording.yaml"
    key = secret or FAKE_KEY
    with ExitStack() as stack:
        upstream = real.base_url if real else stack.enter_context(JinaEmulator().serve())
        run = run_snippet(
            snippet, chroma_url, tmp_path, upstream=upstream, key=key, cassette=scratch
        )
    hide = output_filter(secret)
    assert run.returncode == 0, f"recording {shown(snippet)} failed:\n{hide(run.stderr)}"
    check_recording(snippet, scratch, source, secret)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(scratch, target)
    outputs = [(line, hide(text)) for line, text in run.outputs]
    return render_outputs(snippet.read_text(), outputs)


def test_render_outputs_places_each_output_under_its_call() -> None:
    source = (
        "console.log(1);\n//> stale\nfor (const x of [1, 2]) {\n  console.log(\n    x,\n  );\n}\n"
    )
    outputs = [(1, "1"), (4, "1"), (4, "2\nthree")]
    assert render_outputs(source, outputs) == (
        "console.log(1);\n"
        "//> 1\n"
        "for (const x of [1, 2]) {\n"
        "  console.log(\n"
        "    x,\n"
        "  );\n"
        "  //> 1\n"
        "  //> 2\n"
        "  //> three\n"
        "}\n"
    )


# --- the snippets ------------------------------------------------------------------------------------


def test_snippets_exist() -> None:
    names = {p.name for p in TS_SNIPPETS}
    assert {"quickstart.ts", "options.ts"} <= names, names


def test_typecheck(node_modules: Path) -> None:
    """tsc's diagnostics against the packages' own types, plus floating promises (a missing await)."""
    result = subprocess.run(
        ["node", "tests/docs/ts/typecheck.mjs"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
    )
    assert result.returncode == 0, (
        "TypeScript type-check failed (reproduce: node tests/docs/ts/typecheck.mjs):\n"
        + result.stdout
        + result.stderr
    )


@pytest.mark.parametrize("snippet", TS_SNIPPETS, ids=TS_IDS)
def test_snippet_runs_and_prints(
    snippet: Path, node_modules: Path, chroma_url: str, tmp_path: Path
) -> None:
    if snippet.name in LIVE_EMULATOR:
        check_live_emulator_snippet(snippet, chroma_url, tmp_path)
        return
    if snippet.relative_to(ROOT / "snippets").as_posix() in PYTHON_HANDBOOKS:
        python_handbook(snippet, chroma_url)
    if RECORD:
        snippet.write_text(record_snippet(snippet, chroma_url, tmp_path))
    assert cassette_for(snippet).exists(), (
        f"{shown(snippet)} has no cassette {cassette_for(snippet).relative_to(ROOT)}; "
        f"record it with: {RECORD_COMMAND}"
    )
    run = run_snippet(snippet, chroma_url, tmp_path)
    assert run.returncode == 0, (
        f"{shown(snippet)} failed in node (exit {run.returncode}):\n{run.stderr[-4000:]}"
    )
    assert not run.stderr.strip(), f"{shown(snippet)} wrote to stderr:\n{run.stderr[-4000:]}"
    source = snippet.read_text()
    expected = render_outputs(source, run.outputs)
    if expected != source:
        diff = "".join(
            difflib.unified_diff(
                source.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                fromfile=f"{shown(snippet)} (//> lines)",
                tofile="what it printed",
            )
        )
        pytest.fail(
            f"{shown(snippet)} printed something other than its //> lines; "
            f"if the change is intended, re-record with: {RECORD_COMMAND}\n{diff}"
        )


def python_handbook(snippet: Path, chroma_url: str) -> None:
    """Create the collection `snippet` opens, as a Python service does: chroma-jina's function with
    v3, the passage task, the query task in `query_config` and the key variable both languages
    read (`JINA_API_KEY`: chromadb's TypeScript client rebuilds the saved function even when
    given one, and warns when its variable is unset), on the same Chroma server."""
    name, documents = PYTHON_HANDBOOKS[snippet.relative_to(ROOT / "snippets").as_posix()]
    address = urlsplit(chroma_url)
    client = chromadb.HttpClient(host=address.hostname or "127.0.0.1", port=address.port or 8000)
    with (
        pytest.MonkeyPatch.context() as env,  # chromadb rebuilds the saved function on upsert
        httpx.Client(transport=JinaEmulator().transport()) as http_client,
    ):
        env.setenv("JINA_API_KEY", FAKE_KEY)
        function = JinaEmbeddingFunction(
            model_name="jina-embeddings-v3",
            task="retrieval.passage",
            query_config={"task": "retrieval.query"},
            api_key_env_var="JINA_API_KEY",
            api_key=FAKE_KEY,
            http_client=http_client,
        )
        collection = client.get_or_create_collection(name, embedding_function=function)
        collection.upsert(ids=list(documents), documents=list(documents.values()))
    forget_clients_of(address.port or 8000)


def run_live(
    snippet: Path, emulator: JinaEmulator, chroma_url: str, tmp_path: Path, **extra_env: str
) -> NodeRun:
    """Run a snippet that reaches `emulator` through JINA_API_BASE_URL, its Jina cassette empty
    (a request to api.jina.ai fails it)."""
    empty = tmp_path / "no-requests-to-api.jina.ai.yaml"
    empty.write_text("interactions: []\nversion: 1\n")
    with emulator.serve() as base_url:
        return run_snippet(
            snippet, chroma_url, tmp_path, cassette=empty, JINA_API_BASE_URL=base_url, **extra_env
        )


def check_live_emulator_snippet(snippet: Path, chroma_url: str, tmp_path: Path) -> None:
    """Run it against `JinaEmulator().serve()` with JINA_API_BASE_URL set, its Jina cassette empty:
    every request must reach the emulator, and what it prints must be its `//>` lines (refreshed
    when recording)."""
    assert not cassette_for(snippet).exists(), f"{shown(snippet)} runs live and keeps no cassette"
    emulator = JinaEmulator()
    run = run_live(snippet, emulator, chroma_url, tmp_path)
    assert run.returncode == 0, f"{shown(snippet)} failed (exit {run.returncode}):\n{run.stderr}"
    assert not run.stderr.strip(), f"{shown(snippet)} wrote to stderr:\n{run.stderr[-4000:]}"
    assert emulator.stats.requests > 0, f"{shown(snippet)} sent nothing to the emulator"
    source = snippet.read_text()
    expected = render_outputs(source, run.outputs)
    if RECORD:
        snippet.write_text(expected)
    assert expected == source, f"{shown(snippet)} printed something other than its //> lines"


@pytest.mark.parametrize(
    "snippet", RECORDED, ids=[p.relative_to(ROOT / "snippets").as_posix() for p in RECORDED]
)
def test_cassette_is_clean(snippet: Path) -> None:
    cassette = cassette_for(snippet)
    if not cassette.exists():
        pytest.fail(f"missing {cassette.relative_to(ROOT)}; record it with: {RECORD_COMMAND}")
    text = cassette.read_text()
    interactions = yaml.safe_load(text)["interactions"]
    assert interactions, f"{cassette.name} holds no interactions"
    for item in interactions:
        assert item["request"]["uri"] in JINA_ENDPOINTS
    assert FAKE_KEY not in text


ECHOING_PROGRAM = """\
const response = await fetch("https://api.jina.ai/v1/embeddings", {
  method: "POST",
  headers: { Authorization: `Bearer ${process.env.JINA_API_KEY}`, "Content-Type": "application/json" },
  body: JSON.stringify({ model: "jina-embeddings-v3", input: ["hello"] }),
});
console.log(response.status, (await response.json()).detail);
//> 401 the key *** was revoked
"""
"""Prints the error body as the API sent it: only the recording's masking keeps the key out."""


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, JinaEmulator]]:
    """`make record-ts` as a maintainer with a key runs it, with the real API replaced by the
    emulator minus its provenance header, accepting only a fake key-shaped secret made up here."""
    secret = "jina_FAKE" + secrets.token_hex(24)
    emulator = JinaEmulator(provenance_header=False, api_keys=[secret])
    with emulator.serve() as base_url:
        monkeypatch.setenv("JINA_API_KEY", secret)
        monkeypatch.setenv(RECORD_BASE_URL_ENV, base_url)
        yield secret, emulator


def test_recording_from_the_api_through_a_stand_in(
    stand_in: tuple[str, JinaEmulator], node_modules: Path, chroma_url: str, tmp_path: Path
) -> None:
    secret, emulator = stand_in
    snippet = ROOT / "snippets" / "ts" / "quickstart.ts"
    cassette = tmp_path / "quickstart.yaml"
    before = datetime.now(UTC).date()
    rendered = record_snippet(snippet, chroma_url, tmp_path, cassette=cassette)
    after = datetime.now(UTC).date()
    # The stand-in answers as the emulator did and accepts only the secret: same outputs.
    assert rendered == snippet.read_text()
    text = cassette.read_text()
    assert secret not in text and leaks(cassette, secret) == []
    interactions = yaml.safe_load(text)["interactions"]
    assert len(interactions) == len(emulator.requests) > 0
    for item in interactions:
        assert item["request"]["uri"] in JINA_ENDPOINTS
        assert "authorization" not in item["request"]["headers"]
        assert PROVENANCE_HEADER not in item["response"]["headers"]
    assert provenance(cassette) == "real"
    assert before <= recorded_on(cassette) <= after

    replayed = run_snippet(snippet, chroma_url, tmp_path, cassette=cassette)
    assert replayed.returncode == 0, replayed.stderr[-4000:]
    assert render_outputs(snippet.read_text(), replayed.outputs) == snippet.read_text()


def test_a_key_echoed_in_an_error_body_is_masked_in_recording_and_output(
    stand_in: tuple[str, JinaEmulator], node_modules: Path, chroma_url: str, tmp_path: Path
) -> None:
    secret, emulator = stand_in
    program = tmp_path / "echo.mts"
    program.write_text(ECHOING_PROGRAM)
    cassette = tmp_path / "echo.yaml"
    emulator.script(ErrorReply(401, "AUTH_INVALID_API_KEY", f"the key {secret} was revoked"))
    assert record_snippet(program, chroma_url, tmp_path, cassette=cassette) == ECHOING_PROGRAM
    assert secret not in cassette.read_text()
    (item,) = yaml.safe_load(cassette.read_text())["interactions"]
    assert f"the key {SECRET_MASK} was revoked" in item["response"]["body"]["string"]
    replayed = run_snippet(program, chroma_url, tmp_path, cassette=cassette)
    assert replayed.returncode == 0, replayed.stderr[-4000:]
    assert render_outputs(ECHOING_PROGRAM, replayed.outputs) == ECHOING_PROGRAM


def request_bodies(cassette: Path) -> list[dict]:
    interactions = yaml.safe_load(cassette.read_text())["interactions"]
    return [json.loads(item["request"]["body"]) for item in interactions]


@pytest.mark.parametrize("variant", ["", "zh/"], ids=["en", "zh"])
def test_quickstart_sends_what_the_python_quickstart_sends(variant: str) -> None:
    """Same model, texts and tasks as the Python quickstart (and the Chinese variants as each
    other); only the wire encoding differs (chroma-jina asks for base64), which is why the
    cassettes are separate."""
    python = ROOT / "cassettes" / f"{variant}quickstart.yaml"
    assert python.exists(), f"{python.relative_to(ROOT)} (the Python quickstart's) is missing"
    python_bodies = [
        {k: v for k, v in body.items() if k != "embedding_type"} for body in request_bodies(python)
    ]
    for body in request_bodies(ROOT / "cassettes" / variant / "ts" / "quickstart.yaml"):
        assert body in python_bodies, (
            f"snippets/{variant}ts/quickstart.ts sends {body}, which the Python quickstart does not: "
            f"keep the two quickstarts' texts, model and tasks the same, then run {RECORD_COMMAND}"
        )


# --- how @chroma-core/jina differs from our Python function -----------------------------------------

PYTHON_COLLECTION = "saved-from-python"


@pytest.fixture(scope="module")
def facts(node_modules: Path, chroma_url: str) -> dict:
    """Run tests/docs/ts/differences.ts against the real package, after saving a collection from Python
    with chroma-jina's defaults plus a task and a query_config."""
    import chromadb

    from chroma_jina import JinaEmbeddingFunction

    with pytest.MonkeyPatch.context() as env:
        env.delenv("JINA_API_KEY", raising=False)
        env.setenv("CHROMA_JINA_API_KEY", FAKE_KEY)
        saved = JinaEmbeddingFunction(
            model_name="jina-embeddings-v3",
            task="retrieval.passage",
            query_config={"task": "retrieval.query"},
        )
        host, port = chroma_url.removeprefix("http://").split(":")
        client = chromadb.HttpClient(host=host, port=int(port))
        client.get_or_create_collection(PYTHON_COLLECTION, embedding_function=saved)

    result = subprocess.run(
        ["node", "--import", "tsx", "tests/docs/ts/differences.ts"],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT,
        env=node_env(
            CHROMA_JINA_TS_CHROMA=chroma_url, CHROMA_JINA_TS_PYTHON_COLLECTION=PYTHON_COLLECTION
        ),
    )
    assert result.returncode == 0, f"tests/docs/ts/differences.ts failed:\n{result.stderr[-4000:]}"
    return json.loads(result.stdout)


def page_texts() -> dict[str, str]:
    missing = [str(p.relative_to(ROOT)) for p in PAGES.values() if not p.exists()]
    assert not missing, f"missing TypeScript pages: {missing}"
    return {lang: path.read_text(encoding="utf-8") for lang, path in PAGES.items()}


def assert_pages_say(*phrases: str) -> None:
    """Each page states the observed behaviour with these literal values (code spans are fine)."""
    for lang, text in page_texts().items():
        absent = [p for p in phrases if p not in text]
        assert not absent, (
            f"docs/{lang}/typescript.md no longer states {absent}: the package changed, update the page"
        )


def test_default_model_and_key_variable(facts: dict) -> None:
    from chroma_jina import JinaEmbeddingFunction
    from chroma_jina.models import DEFAULT_MODEL

    defaults = facts["defaults"]
    assert defaults["url"] == "https://api.jina.ai/v1/embeddings"
    assert defaults["body"] == {"input": ["hello"], "model": "jina-clip-v2"}
    assert defaults["authorization_from_JINA_API_KEY"]
    assert defaults["config"] == {"api_key_env_var": "JINA_API_KEY", "model_name": "jina-clip-v2"}
    assert DEFAULT_MODEL == "jina-embeddings-v2-base-en"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CHROMA_JINA_API_KEY", FAKE_KEY)
        python_space = JinaEmbeddingFunction().default_space()
    assert defaults["space"] == python_space == "cosine"
    assert_pages_say("jina-clip-v2", DEFAULT_MODEL, "JINA_API_KEY", "CHROMA_JINA_API_KEY")


def test_chroma_jina_api_key_is_not_read(facts: dict) -> None:
    assert facts["chroma_jina_api_key_ignored"]["authorization"] == "Bearer undefined"
    assert_pages_say("CHROMA_JINA_API_KEY")


def test_missing_key_only_warns(facts: dict) -> None:
    missing = facts["missing_key"]
    assert missing["warnings"] == [
        (
            "Jina AI API key is not set. Please provide it in the constructor or set the environment "
            "variable JINA_API_KEY."
        )
    ]
    assert missing["requests_sent"] == 1
    assert missing["authorization"] == "Bearer undefined"
    # chroma-jina, for contrast, refuses at construction.
    from chroma_jina import JinaEmbeddingFunction, MissingAPIKeyError

    with pytest.MonkeyPatch.context() as env:
        env.delenv("JINA_API_KEY", raising=False)
        env.delenv("CHROMA_JINA_API_KEY", raising=False)
        with pytest.raises(MissingAPIKeyError):
            JinaEmbeddingFunction()
    assert_pages_say("Bearer undefined", "MissingAPIKeyError")


def test_options_go_snake_case_and_legacy_names_are_ignored(facts: dict) -> None:
    assert facts["options_body"] == {
        "input": ["hello"],
        "model": "jina-embeddings-v3",
        "task": "retrieval.passage",
        "late_chunking": True,
        "dimensions": 256,
    }
    assert facts["legacy_names"] == {"model": "jina-clip-v2", "authorization": f"Bearer {FAKE_KEY}"}
    assert_pages_say("modelName", "lateChunking", "model_name", "jinaai_api_key")


def test_results_are_not_sorted_by_index(facts: dict) -> None:
    # The response listed indexes 2, 0, 1; the vectors come back in that order, not sorted.
    assert facts["index_order"] == {"result": [[2, 2], [0, 0], [1, 1]], "error": None}
    assert_pages_say("`index`")


def test_no_count_check(facts: dict) -> None:
    assert facts["count_check"] == {"result": [[0, 0]], "error": None}


def test_http_status_is_not_checked(facts: dict) -> None:
    assert facts["status_500_with_data"] == {"result": [[9, 9]], "error": None}
    assert facts["status_502_html"]["result"] is None
    assert "is not valid JSON" in facts["status_502_html"]["error"]
    assert "502" not in facts["status_502_html"]["error"]
    assert facts["status_429_json"]["error"] == (
        "Error calling Jina AI API: Failed to generate jina embedding data."
    )
    assert facts["status_429_json"]["requests"] == 1  # no retry
    assert_pages_say("Failed to generate jina embedding data.", "is not valid JSON")


def test_embedding_types_are_not_decoded(facts: dict) -> None:
    assert facts["embedding_type"]["body"]["embedding_type"] == "base64"
    assert facts["embedding_type"]["result"] == ["AACAPwAAAEA=", [201, 7]]
    assert_pages_say("embeddingType", "base64", "ubinary")


def test_chroma_refuses_base64_and_stores_packed_bits(facts: dict) -> None:
    stored = facts["chroma_stores"]
    assert stored["base64"]["result"] is None
    assert "Non-finite float value" in stored["base64"]["error"]
    assert stored["binary"]["error"] is None
    assert len(stored["binary"]["result"]) == 2 and stored["binary"]["result"][0] == 201
    assert_pages_say("Non-finite float value")


def test_api_key_passed_is_not_kept_by_the_collection(facts: dict) -> None:
    passed = facts["api_key_passed"]
    assert passed["error"] is None
    assert passed["warnings"] > 0  # printed although a key was passed
    # upsert with the function given; query through the collection reopened without it
    assert passed["authorizations"] == [f"Bearer {FAKE_KEY}", "Bearer undefined"]
    assert_pages_say("apiKey", "getCollection")


def test_no_batching(facts: dict) -> None:
    # chroma-jina splits at the model's item cap (512); the TypeScript package sends one request.
    assert facts["batching"] == {"requests": 1, "inputs_in_first": 600}
    assert_pages_say("512")


def test_no_concurrency_cap_and_no_timeout(facts: dict) -> None:
    # chroma-jina bounds requests in flight per key and times each out; the package does neither.
    assert facts["concurrency"] == {"requests": 20, "max_in_flight": 20, "with_signal": 0}
    assert_pages_say("AbortSignal.timeout(30_000)", "RetryingJina")


def run_against(
    fault: Fault, snippet: Path, chroma_url: str, tmp_path: Path, **extra_env: str
) -> NodeRun:
    """`run_live` against an emulator that answers the first request with `fault`."""
    emulator = JinaEmulator()
    emulator.script(fault)
    return run_live(snippet, emulator, chroma_url, tmp_path, **extra_env)


@pytest.mark.parametrize("variant", ["ts/emulator.ts", "zh/ts/emulator.ts"])
def test_the_fetch_replacement_names_the_status_the_package_drops(
    variant: str, node_modules: Path, chroma_url: str, tmp_path: Path
) -> None:
    """`@chroma-core/jina` turns every error answer into one message; through the page's `fetch`
    replacement a 402 reaches the caller as "HTTP 402" with Jina's code, which RetryingJina reads."""
    fault = ErrorReply(402, "AUTHZ_INSUFFICIENT_BALANCE")
    run = run_against(fault, ROOT / "snippets" / variant, chroma_url, tmp_path)
    assert run.returncode != 0 and not run.outputs, run.stderr[-2000:]
    assert "Error calling Jina AI API: HTTP 402:" in run.stderr, run.stderr[-2000:]
    assert "AUTHZ_INSUFFICIENT_BALANCE" in run.stderr, run.stderr[-2000:]


@pytest.mark.parametrize("variant", ["ts/emulator.ts", "zh/ts/emulator.ts"])
def test_the_fetch_replacement_leaves_your_own_requests_their_answer(
    variant: str, node_modules: Path, chroma_url: str, tmp_path: Path
) -> None:
    """Only the package's embeddings errors are turned into exceptions: a rerank request of your
    own, sent through the replacement (saved as jina-base-url.ts, as the page says), sees a 429
    and its Retry-After, which typescript.md#rerank tells the reader to honour."""
    source = (ROOT / "snippets" / variant).read_text(encoding="utf-8")
    start = source.index("const JINA_BASE")
    replacement = source[start : source.index("\n};\n", start) + 4]
    program = tmp_path / "own_rerank.mts"  # an ES module outside the project
    program.write_text(
        replacement
        + "const response = await fetch('https://api.jina.ai/v1/rerank', {\n"
        + "  method: 'POST',\n"
        + "  headers: { Authorization: `Bearer ${process.env.JINA_API_KEY}` },\n"
        + "  body: JSON.stringify({ model: 'jina-reranker-v2-base-multilingual', query: 'q', "
        + "documents: ['d'] }),\n"
        + "});\n"
        + "console.log(response.status, response.headers.get('retry-after'));\n"
    )
    run = run_against(TooManyRequests(retry_after=7), program, chroma_url, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "429 7" in run.stdout + "".join(text for _, text in run.outputs), run


@pytest.mark.parametrize("variant", ["ts/emulator.ts", "zh/ts/emulator.ts"])
def test_the_fetch_replacement_times_out_a_stalled_answer(
    variant: str, node_modules: Path, chroma_url: str, tmp_path: Path
) -> None:
    """The page's `fetch` replacement gives each Jina request `AbortSignal.timeout(30_000)`: an
    answer that stalls fails `generate()` with the package's error. A preload divides the timeout
    by 100 (and reports what was asked), so the answer, 3 s late, stalls past it."""
    shrink = tmp_path / "shrink-timeouts.mjs"
    shrink.write_text(
        "const timeout = AbortSignal.timeout.bind(AbortSignal);\n"
        "AbortSignal.timeout = (ms) => {\n"
        "  process.stderr.write(`timeout asked: ${ms}\\n`);\n"
        "  return timeout(ms / 100);\n"
        "};\n"
    )
    run = run_against(
        SlowResponse(seconds=3),
        ROOT / "snippets" / variant,
        chroma_url,
        tmp_path,
        NODE_OPTIONS=f"--import={shrink.as_uri()}",
    )
    assert "timeout asked: 30000" in run.stderr, run.stderr[-2000:]
    assert run.returncode != 0 and not run.outputs, run.stderr[-2000:]
    assert "Error calling Jina AI API:" in run.stderr, run.stderr[-2000:]


def test_chroma_calls_the_functions_own_generate_and_generate_for_queries(facts: dict) -> None:
    # upsert() with documents goes through an override of generate(), query() with queryTexts
    # through generateForQueries(): the retry and the query task the page puts there cover
    # Chroma's own calls.
    assert facts["subclass_generate"] == {
        "error": None,
        "calls": ["generate", "generateForQueries"],
        "requests": 2,
    }
    assert_pages_say("RetryingJina", "queryTexts", "generateForQueries")


def test_no_query_task(facts: dict) -> None:
    assert facts["query_side"]["generateForQueries"] == "undefined"
    assert "query_config" not in facts["query_side"]["config_keys"]
    opened = facts["python_collection_query"]
    assert opened["error"] is None, opened
    # Saved from Python with query_config={"task": "retrieval.query"}; TypeScript queries use the
    # document task.
    assert [b["task"] for b in opened["bodies"]] == ["retrieval.passage"]
    assert_pages_say("generateForQueries", "query_config", "retrieval.query", "queryEmbeddings")


def test_python_saved_collection_keeps_its_key_variable_and_sends_nulls(facts: dict) -> None:
    opened = facts["python_collection_query"]
    # The saved config names CHROMA_JINA_API_KEY, so TypeScript reads that variable, not JINA_API_KEY.
    assert opened["warnings"] and all("CHROMA_JINA_API_KEY" in w for w in opened["warnings"])
    # Unset options were saved as JSON null and go on the wire as null.
    assert {k: v for k, v in opened["bodies"][0].items() if v is None} == {
        "late_chunking": None,
        "truncate": None,
        "dimensions": None,
        "normalized": None,
        "embedding_type": None,
    }
    assert_pages_say("api_key_env_var", "null")


def test_pages_state_the_locked_versions() -> None:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for package in ("@chroma-core/jina", "chromadb", "typescript", "@types/node"):
        version = lock["packages"][f"node_modules/{package}"]["version"]
        assert_pages_say(f"{package}@{version}")


def test_pages_include_the_snippets() -> None:
    """The TypeScript page shows the quickstart (the Chinese page: its Chinese variant) and the
    options overview; the snippets of single options are on their option pages
    (test_snippet_structure checks that every snippet is shown)."""
    for lang, text in page_texts().items():
        for snippet in (
            "snippets/ts/quickstart.ts",
            "snippets/ts/options.ts",
            "snippets/ts/emulator.ts",
        ):
            shown_here = [snippet] + ([zh_variant(snippet)] if lang == "zh" else [])
            assert any(f'--8<-- "{s}"' in text for s in shown_here), (
                f"docs/{lang}/typescript.md does not include {' or '.join(shown_here)}"
            )
        assert "```ts" in text, f"docs/{lang}/typescript.md has no ```ts fence"


def test_pages_show_the_documents_the_python_collection_holds() -> None:
    """The page quotes the documents the Python service wrote, as this test module writes them."""
    texts = {lang: " ".join(text.split()) for lang, text in page_texts().items()}  # wrapped lines
    for snippet, (_, documents) in PYTHON_HANDBOOKS.items():
        lang = "zh" if snippet.startswith("zh/") else "en"
        absent = [text for text in documents.values() if text not in texts[lang]]
        assert not absent, f"docs/{lang}/typescript.md does not quote {absent}"
