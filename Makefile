# Two commands do everything: `make serve` and `make test`. Both bootstrap their own
# environment: a throwaway venv that holds uv, then `uv sync --frozen` into .venv from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
UV := .tools/bin/uv
SYNCED := $(VENV)/.synced
export NO_MKDOCS_2_WARNING := 1

.PHONY: test serve build sync bench lint

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python "$$(command -v $(PYTHON))"
	touch $@

sync: $(SYNCED)

## serve: build the site and serve it on http://127.0.0.1:8000 (/ English, /zh/ Chinese);
##   mkdocs.serve.yml puts it at the root (the deployed site lives under a path)
serve: $(SYNCED)
	$(VENV)/bin/mkdocs serve --strict --config-file mkdocs.serve.yml --dev-addr 127.0.0.1:8000

## build: build the site into site/ with --strict
build: $(SYNCED)
	$(VENV)/bin/mkdocs build --strict

## lint: ruff check, ruff format --check and mypy --strict on src/ ([tool.mypy]); the same
##   commands as .pre-commit-config.yaml, from the same .venv
lint: $(SYNCED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## test: install what is needed, lint, and run every test, in TEST_WORKERS processes (most tests
##   wait on servers, browsers and Node rather than compute; TEST_WORKERS=0 runs them in one)
TEST_WORKERS ?= 3
test: $(SYNCED) lint packages
	$(VENV)/bin/pytest -n $(TEST_WORKERS)

# The Python tests that need no browser, Node or workflow/lint tooling: the library, its emulator,
# every docs example and the docs' parity with the code, chosen by marker (pyproject.toml's
# [tool.pytest.ini_options] markers). `make lowest` and `make pythons` run these.
LIBRARY_TESTS := tests -m "not browser and not node and not nginx and not packaging and not serve"

# The LangChain and LlamaIndex tests and examples (the frameworks group, not in `make lowest`).
WITHOUT_FRAMEWORKS := --ignore=tests/integration/test_frameworks.py -k "not frameworks"

## lowest: LIBRARY_TESTS with the oldest dependency versions pyproject.toml allows, which must be
##   its bounds (uv's lowest-direct resolution into build/lowest-<python>/; uv.lock untouched).
##   PYTHON=/path/to/python3.13 for another Python
.PHONY: lowest pythons dist test-wheel
lowest: | $(UV)
	.ci/lowest $(PYTHON) $(LIBRARY_TESTS) $(WITHOUT_FRAMEWORKS)

## pythons: LIBRARY_TESTS on every supported Python found here (venvs synced from uv.lock)
pythons: | $(UV)
	.ci/pythons $(LIBRARY_TESTS)

## dist: build the sdist and wheel into dist/ and check them with `twine check --strict`
dist: $(SYNCED)
	rm -rf dist
	$(UV) build --python "$$(command -v $(PYTHON))" --out-dir dist
	$(VENV)/bin/twine check --strict dist/*

## test-wheel: the packaging tests (build, check, install the wheel in a fresh venv and run it);
##   CHROMA_JINA_DIST=dist checks the files already in dist/ instead of building
test-wheel: $(SYNCED)
	$(VENV)/bin/pytest tests/packaging/test_wheel.py -q -p no:cacheprovider

## packages: the Debian packages the tests run (apt-get, only when missing): Chromium and a CJK
##   font for the browser tests, nginx for the gateway test
.PHONY: packages screenshots
packages:
	.ci/ensure-packages

## screenshots: home and late-chunking pages, and a code block and a prose paragraph of the latter,
##   in English and Chinese -> build/screenshots/*.png
screenshots: $(SYNCED) packages
	$(VENV)/bin/pytest tests/browser/test_pages.py -k screenshot -q -p no:cacheprovider
	@ls build/screenshots/*.png

## bench: chroma-jina vs chromadb's built-in on the loopback emulator (BENCH_ARGS=--limits: free-tier limits),
##   then many callers sharing one key, then reranking on one key, then a corpus into Chroma four
##   ways (ingest among them)
bench: $(SYNCED)
	$(VENV)/bin/python -m benchmarks.run $(BENCH_ARGS)
	$(VENV)/bin/python -m benchmarks.shared_key
	$(VENV)/bin/python -m benchmarks.rerank
	$(VENV)/bin/python -m benchmarks.ingest

## contract: the compatibility suite, chroma-jina vs the built-in on the emulator: prints the pass/fail
##   matrix and writes it into the Migrating page (both languages)
.PHONY: contract
contract: $(SYNCED)
	$(VENV)/bin/python -m compatibility.checks --docs docs

## translations: list Chinese pages whose English page changed since they were translated;
##   MARK=page.md records that docs/zh/page.md now follows docs/en/page.md (after updating it)
.PHONY: translations
translations: $(SYNCED)
	$(VENV)/bin/python tests/docs/translations.py $(if $(MARK),--mark $(MARK))

## record: re-record the cassettes of the Python snippets and refresh their `#>` outputs; prints what
##   a full re-recording from the real API costs in tokens. SNIPPET=snippets/x.py records one. With
##   JINA_API_KEY set it records the real Jina API (CHROMA_JINA_RECORD_BASE_URL: a stand-in instead,
##   for testing), without it the offline emulator. FORCE=1 lets an emulated recording replace one
##   from the real API.
record: $(SYNCED)
	CHROMA_JINA_RECORD_FORCE=$(FORCE) $(VENV)/bin/pytest --record-mode=rewrite --update-examples \
		"tests/docs/test_examples.py::test_example$(if $(SNIPPET),[snippets/$(patsubst snippets/%,%,$(SNIPPET))])"

## record-ts: re-record the TypeScript snippets' cassettes (cassettes/ts/) and refresh their `//>`
##   outputs, from the real API or the emulator as `record` does. FORCE=1 as for `record`.
.PHONY: record-ts
record-ts: $(SYNCED)
	CHROMA_JINA_TS_RECORD=1 CHROMA_JINA_RECORD_FORCE=$(FORCE) $(VENV)/bin/pytest tests/docs/test_typescript.py \
		-q -k "snippet_runs or cassette"
