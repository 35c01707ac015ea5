"""Every docs example runs here with pytest-examples: ruff lints it, it runs, its `#>` lines match.

- Snippets (`snippets/**/*.py`) run as whole programs, each replaying its own cassette
  `cassettes/<same path>.yaml` with the network blocked.
- Python blocks written inline in a page of docs/en or docs/zh (not `--8<--` includes) run too,
  offline and without a cassette, unless the fence says why not:
  ```python {test="skip" reason="needs a real API key"}```.

`make record [SNIPPET=snippets/x.py] [FORCE=1]` re-records cassettes and refreshes `#>` outputs
(`--record-mode=rewrite --update-examples`); see tests/docs/recording.py.
"""

from __future__ import annotations

import ctypes
import functools
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from types import FrameType

import chromadb
import pytest
import pytest_examples.traceback
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings
from pytest_examples import CodeExample, EvalExample

from tests.docs.cloud_examples import (
    Standin,
    assert_quotas_kept,
    point_cloud_client,
    running_standin,
    uses_cloud,
)
from tests.docs.docs_examples import (
    ROOT,
    inline_block_id,
    inline_blocks,
    skip_reason,
    snippet_example,
    snippet_files,
)
from tests.docs.recording import offline, recording, replaying
from tests.support.chroma import forget_clients_of

LINE_LENGTH = 100
"""The project's line length (pyproject.toml); `#>` output is wrapped to it too."""
RUFF_RULES = ["E", "W", "F", "B", "SIM", "C4", "PIE", "RUF"]
"""Besides isort (I) and pyupgrade (UP) for Python 3.11, which set_config adds."""

SNIPPETS = snippet_files()
INLINE = [ex for ex in inline_blocks() if skip_reason(ex) is None]
LEAVES_A_SOCKET_OPEN = {"snippets/errors.py", "snippets/zh/errors.py"}
"""Snippets whose function is never closed while its connection to a loopback server is open:
the library closes a function's own client at exit, not when it is garbage-collected (issue 25's
closing note lists them; remove an entry once the library closes on collection)."""
UNCLOSED = pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")

CASES = [
    pytest.param(
        path,
        id=path.relative_to(ROOT).as_posix(),
        marks=[UNCLOSED] if path.relative_to(ROOT).as_posix() in LEAVES_A_SOCKET_OPEN else [],
    )
    for path in SNIPPETS
] + [pytest.param(ex, id=inline_block_id(ex)) for ex in INLINE]


def example_frame(frame: FrameType, example: CodeExample) -> FrameType:
    """A copy of an example's frame that names the snippet (or page) and its real line numbers.

    Replaces pytest-examples' helper, which on Python 3.11 builds the code object with the old
    line-number table, so a failing example crashed the whole run (INTERNALERROR) instead of
    failing its own test. `CodeType.replace` keeps the table that belongs to the running Python.
    """
    code = frame.f_code.replace(
        co_filename=str(example.path),
        co_firstlineno=frame.f_code.co_firstlineno + example.start_line,
    )
    pointer = ctypes.POINTER(ctypes.c_ulong)
    new_frame = ctypes.pythonapi.PyFrame_New
    new_frame.argtypes = (pointer, pointer, ctypes.py_object, ctypes.py_object)
    new_frame.restype = ctypes.py_object
    thread_state = ctypes.pythonapi.PyThreadState_Get
    thread_state.argtypes = None
    thread_state.restype = pointer
    return new_frame(
        thread_state(), ctypes.cast(id(code), pointer), frame.f_globals, frame.f_locals
    )


@pytest.fixture(autouse=True)
def _example_tracebacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytest_examples.traceback, "create_custom_frame", example_frame)


def configure(eval_example: EvalExample, example: CodeExample) -> None:
    """The lint and print-formatting rules every example follows."""
    # a pytest module (the fixtures on Testing) checks with assert, as pytest's tests do
    pytest_module = re.search(r"^import pytest$", example.source, re.MULTILINE) is not None
    eval_example.set_config(
        line_length=LINE_LENGTH,
        ruff_line_length=LINE_LENGTH,
        target_version="py311",
        isort=True,
        upgrade=True,
        ruff_select=RUFF_RULES,
        # full-width ，。？： in the strings of Chinese examples, and in their `#>` output and
        # comments, are meant; an example prints what it shows (ruff reads the project's
        # rule set, whose T20 keeps print out of the library)
        ruff_ignore=["RUF001", "RUF003", "T20"] + (["S101"] if pytest_module else []),
    )


def session_for(
    case: Path | CodeExample,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AbstractContextManager[Callable[[str], str] | None]:
    """Replay (default), record (`--record-mode` other than none), or offline for inline blocks.
    Recording yields the filter the printed output goes through before it reaches `#>` lines.
    A snippet for Chroma Cloud replays against the local stand-in (tests/docs/cloud_examples.py)."""
    if isinstance(case, CodeExample):
        return offline(inline_block_id(case), monkeypatch, tmp_path)
    replay = (request.config.getoption("--record-mode") or "none") == "none"
    cloud = uses_cloud(case)
    if cloud:
        standin = request.getfixturevalue("cloud_standin") if replay else None
        point_cloud_client(standin, monkeypatch)
        if standin is not None:  # the snippet's clients are closed when it ends, not when
            # the module's stand-in stops (collected open in a later test otherwise)
            request.addfinalizer(functools.partial(forget_clients_of, standin.port))
            request.addfinalizer(functools.partial(assert_quotas_kept, standin.quotas))
    if replay:
        return replaying(case, monkeypatch, allow_localhost=cloud)
    return recording(case, monkeypatch, tmp_path)


@pytest.fixture(scope="module")
def cloud_standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Standin]:
    """Started for the first Chroma Cloud snippet only."""
    with running_standin(tmp_path_factory.mktemp("cloud") / "data") as standin:
        yield standin


WALL_TIME = re.compile(r"(?P<label>wall time: |耗时：)(?P<seconds>\d+(?:\.\d+)?) (?:s|秒)")
"""`wall time: 2.3 s`, or `耗时：2.3 秒` in the Chinese variant of a snippet (snippets/zh/)."""


def wall_time_tolerance(example: CodeExample) -> Callable[[str], str]:
    """A printed `wall time: X s` (`耗时：X 秒`) matches the `#>` line's `wall time: Y s` (`耗时：Y 秒`)
    when X is between half and twice Y: the page shows what one run measured, the check does not
    depend on how busy the machine is. Other output must match exactly."""
    recorded = [
        m
        for line in example.source.splitlines()
        if line.lstrip().startswith("#>")
        for m in WALL_TIME.finditer(line)
    ]

    def seconds(match: re.Match[str]) -> float:
        return float(match.group("seconds"))

    def within(match: re.Match[str]) -> str:
        got = seconds(match)
        near = [
            r.group(0)
            for r in recorded
            if r.group("label") == match.group("label") and seconds(r) / 2 <= got <= seconds(r) * 2
        ]
        return near[0] if near else match.group(0)

    return lambda text: WALL_TIME.sub(within, text)


@pytest.mark.parametrize("case", CASES)
def test_example(
    case: Path | CodeExample,
    eval_example: EvalExample,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    example = snippet_example(case) if isinstance(case, Path) else case
    configure(eval_example, example)
    monkeypatch.setenv("RUFF_OUTPUT_FORMAT", "concise")  # one line per problem, with file and line
    if eval_example.update_examples:
        eval_example.format_ruff(example)
    else:
        eval_example.lint_ruff(example)
    with session_for(case, request, monkeypatch, tmp_path) as output_filter:
        eval_example.print_callback = output_filter or (
            None if eval_example.update_examples else wall_time_tolerance(example)
        )
        if eval_example.update_examples:
            eval_example.run_print_update(example)
        else:
            eval_example.run_print_check(example)


def test_there_are_examples() -> None:
    assert len(SNIPPETS) >= 1, "no snippets found under snippets/"


def test_skipped_blocks_say_why() -> None:
    """A page block that is not run must carry a visible reason in its fence."""
    silent = [inline_block_id(ex) for ex in inline_blocks() if skip_reason(ex) == ""]
    assert not silent, (
        f"these blocks skip without a reason: {silent}; write the fence as "
        '```python {test="skip" reason="why it cannot run"}'
    )


def test_wall_time_is_checked_within_half_to_twice(tmp_path: Path) -> None:
    """The tolerance applies to the English label and to the Chinese variants' `耗时：X 秒`, each
    against a recorded time with the same label."""
    program = tmp_path / "timed.py"
    program.write_text("#> wall time: 2.0 s\n#> 耗时：3.0 秒\n", encoding="utf-8")
    tolerate = wall_time_tolerance(snippet_example(program))
    assert tolerate("wall time: 3.9 s") == "wall time: 2.0 s"
    assert tolerate("wall time: 4.1 s") == "wall time: 4.1 s"
    assert tolerate("耗时：1.6 秒") == "耗时：3.0 秒"
    assert tolerate("耗时：1.4 秒") == "耗时：1.4 秒"
    assert tolerate("耗时：2.0 秒") == "耗时：3.0 秒"
    assert tolerate("wall time: 5.9 s") == "wall time: 5.9 s"  # 3.0 s is recorded as 耗时 only


def test_a_failing_example_fails_its_own_test(eval_example: EvalExample, tmp_path: Path) -> None:
    """The example's exception reaches pytest with a traceback it can print (file and line)."""
    broken = tmp_path / "broken.py"
    broken.write_text('print("fine so far")\nraise RuntimeError("broken on purpose")\n')
    with pytest.raises(RuntimeError, match="broken on purpose") as info:
        eval_example.run(snippet_example(broken))
    formatted = "".join(traceback.format_exception(info.value))
    assert f'File "{broken}", line 2' in formatted


def test_each_example_gets_its_own_chroma(eval_example: EvalExample, tmp_path: Path) -> None:
    """An example runs as in a new process even after another test made a Chroma client."""
    program = tmp_path / "program.py"
    program.write_text(
        "import chromadb\n\nprint(chromadb.EphemeralClient().count_collections())\n#> 0\n"
    )
    with pytest.MonkeyPatch.context() as suite:
        suite.setattr(SharedSystemClient, "_identifier_to_system", {})
        suite.setattr(SharedSystemClient, "_identifier_to_refcount", {}, raising=False)
        other_test_client = chromadb.EphemeralClient(settings=Settings(allow_reset=True))
        other_test_client.create_collection("left-by-another-test")
        with pytest.MonkeyPatch.context() as patch, offline("program", patch, tmp_path):
            eval_example.run_print_check(snippet_example(program))
        assert other_test_client.count_collections() == 1
