"""The variable the key is read from must be meant for a Jina key.

`api_key_env_var` is saved with a collection; whoever can write a Chroma database (a shared one,
one received from someone else) chooses it. Without a rule, a config naming AWS_SECRET_ACCESS_KEY
made the function send that secret as its Bearer token. Names outside the rule are refused before
anything is read from the environment or sent.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, MutableMapping

import chromadb
import httpx
import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.utils.embedding_functions import JinaEmbeddingFunction as BuiltIn
from chromadb.utils.embedding_functions import known_embedding_functions

from chroma_jina import JinaEmbeddingFunction, JinaReranker
from chroma_jina.errors import MissingAPIKeyError
from chroma_jina.testing import JinaEmulator
from tests.support.service import KEY

CANARY = "aws-secret-canary-0123456789"


@pytest.mark.parametrize(
    "name",
    [
        "CHROMA_JINA_API_KEY",
        "JINA_API_KEY",
        "MY_JINA_KEY",
        "JINA_PROD_API_KEY",
        "JINA_KEY",
        # names other tools save for a Jina key (LlamaIndex's JINAAI_API_KEY, *_TOKEN)
        "JINAAI_API_KEY",
        "JINA_API_TOKEN",
    ],
)
def test_names_meant_for_a_jina_key_are_accepted(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, KEY)
    ef = JinaEmbeddingFunction(api_key_env_var=name)
    assert ef.get_config()["api_key_env_var"] == name


@pytest.mark.parametrize(
    "name",
    [
        "AWS_SECRET_ACCESS_KEY",
        "OPENAI_API_KEY",
        "GITHUB_TOKEN",
        "PATH",
        "JINA_API_KEY_FILE",
        "jina_api_key",
        "JINAAPI_KEY",
        "_JINA_KEY",
        "JINA__KEY",
        "JINA_API_KEY\n",
        "X" * 10_000_000 + "_JINA",
    ],
    ids=lambda name: name[:30].strip() or repr(name),
)
def test_other_names_are_refused_with_the_rule(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    with pytest.raises(ValueError, match="does not name a variable meant for a Jina key") as info:
        JinaEmbeddingFunction(api_key_env_var=name)
    assert "one of them JINA or JINAAI and the last KEY or TOKEN" in str(info.value)
    assert len(str(info.value)) < 1000
    with pytest.raises(ValueError, match="meant for a Jina key"):
        JinaEmbeddingFunction.build_from_config({"api_key_env_var": name})


def test_a_config_update_to_another_variable_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY)
    ef = JinaEmbeddingFunction()
    ef.validate_config_update(ef.get_config(), {"api_key_env_var": "OTHER_JINA_API_KEY"})
    with pytest.raises(ValueError, match="meant for a Jina key"):
        ef.validate_config_update(ef.get_config(), {"api_key_env_var": "AWS_SECRET_ACCESS_KEY"})


class ReadsRecorded(MutableMapping[str, str]):
    """os.environ, recording the names read through it (a spy on the real environment)."""

    def __init__(self, environ: MutableMapping[str, str]) -> None:
        self.environ = environ
        self.read: list[str] = []

    def __getitem__(self, name: str) -> str:
        self.read.append(name)
        return self.environ[name]

    def __setitem__(self, name: str, value: str) -> None:
        self.environ[name] = value

    def __delitem__(self, name: str) -> None:
        del self.environ[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.environ)

    def __len__(self) -> int:
        return len(self.environ)


def test_a_collection_whose_config_names_another_secret_does_not_reopen(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], caplog
) -> None:
    """A database written by someone else, with chromadb's built-in (which takes any name):
    reopening it with chroma-jina fails with the rule, the secret is never read, never shown,
    never sent."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "the-writer-s-own-value")
    monkeypatch.setitem(known_embedding_functions, "jina", BuiltIn)
    chromadb.PersistentClient(path=str(tmp_path)).create_collection(
        "shared", embedding_function=BuiltIn(api_key_env_var="AWS_SECRET_ACCESS_KEY")
    )
    SharedSystemClient.clear_system_cache()

    monkeypatch.setitem(known_embedding_functions, "jina", JinaEmbeddingFunction)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY)
    emu = JinaEmulator()
    errors: list[str] = []
    with emu.serve() as base_url, caplog.at_level(logging.DEBUG):
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
        col = chromadb.PersistentClient(path=str(tmp_path)).get_collection("shared")
        assert col.configuration_json["embedding_function"]["config"]["api_key_env_var"] == (
            "AWS_SECRET_ACCESS_KEY"
        )
        spy = ReadsRecorded(os.environ)
        monkeypatch.setattr(os, "environ", spy)
        with pytest.raises(ValueError, match="AWS_SECRET_ACCESS_KEY' does not name a variable"):
            _ = col.configuration["embedding_function"]  # Chroma builds it from the config
        for attempt in (
            lambda: col.add(ids=["a"], documents=["text"]),
            lambda: col.query(query_texts=["text"], n_results=1),
        ):
            with pytest.raises(ValueError, match="meant for a Jina key") as info:
                attempt()
            errors += [str(info.value), repr(info.value)]
        monkeypatch.setattr(os, "environ", spy.environ)
    assert "AWS_SECRET_ACCESS_KEY" not in spy.read
    assert emu.requests == []
    out, err = capfd.readouterr()
    for text in [*errors, out, err, caplog.text]:
        assert CANARY not in text


# ---- the key's own characters -------------------------------------------------------------


def test_a_secret_files_trailing_newline_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Kubernetes secret made from a file ends in a newline. Sent as is, httpx refused the
    header, the error was retried as a network fault and showed the key in its message."""
    monkeypatch.setenv("CHROMA_JINA_API_KEY", KEY + "\n")
    emu = JinaEmulator()
    ef = JinaEmbeddingFunction(http_client=httpx.Client(transport=emu.transport()))
    assert len(ef(["a river"])) == 1
    assert emu.requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("source", ["api_key", "variable"])
@pytest.mark.parametrize("where", ["reranker", "embedding function"])
def test_a_key_a_header_cannot_carry_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, source: str, where: str
) -> None:
    """A pasted typographic quote: httpx raised a bare UnicodeEncodeError holding the key."""
    bad = KEY[:8] + "\u201d" + KEY[8:]
    monkeypatch.setenv("CHROMA_JINA_API_KEY", bad if source == "variable" else KEY)
    make = JinaReranker if where == "reranker" else JinaEmbeddingFunction
    with pytest.raises(MissingAPIKeyError) as info:
        make(api_key=bad) if source == "api_key" else make()
    said = f"{info.value} {info.value.hint} {info.value.args}"
    assert "position 8" in said and "RIGHT DOUBLE QUOTATION MARK" in said
    assert ("api_key=" if source == "api_key" else "CHROMA_JINA_API_KEY") in said
    assert KEY[:8] not in said and KEY[9:] not in said
