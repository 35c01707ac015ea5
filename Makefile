# Two commands do everything: `make serve` and `make test`. Both bootstrap their own
# environment: a throwaway venv that holds uv, then `uv sync --frozen` into .venv from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
UV := .tools/bin/uv
SYNCED := $(VENV)/.synced
export NO_MKDOCS_2_WARNING := 1

.PHONY: test serve build sync bench

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

## test: install what is needed and run every test
test: $(SYNCED) chromium
	$(VENV)/bin/pytest

## chromium: Debian's Chromium and a CJK font for the browser tests (apt-get, only when missing)
.PHONY: chromium screenshots
chromium:
	.ci/ensure-chromium

## screenshots: home and late-chunking pages, and a code block and a prose paragraph of the latter,
##   in English and Chinese -> build/screenshots/*.png
screenshots: $(SYNCED) chromium
	$(VENV)/bin/pytest tests/browser/test_pages.py -k screenshot -q -p no:cacheprovider
	@ls build/screenshots/*.png

## bench: chroma-jina vs chromadb's built-in on the loopback emulator (BENCH_ARGS=--limits: free-tier limits),
##   then the contract checks
bench: $(SYNCED)
	$(VENV)/bin/python -m benchmarks.run $(BENCH_ARGS)
	$(VENV)/bin/python -m benchmarks.contract_checks

## contract: the contract checks, chroma-jina vs the built-in on the emulator, as a pass/fail matrix
.PHONY: contract
contract: $(SYNCED)
	$(VENV)/bin/python -m benchmarks.contract_checks

## record: re-record the cassettes of the Python snippets and refresh their `#>` outputs.
##   SNIPPET=snippets/x.py records one. With JINA_API_KEY set it records the real Jina API, without
##   it the offline emulator. FORCE=1 lets an emulated recording replace one from the real API.
record: $(SYNCED)
	CHROMA_JINA_RECORD_FORCE=$(FORCE) $(VENV)/bin/pytest --record-mode=rewrite --update-examples \
		"tests/test_examples.py::test_example$(if $(SNIPPET),[snippets/$(patsubst snippets/%,%,$(SNIPPET))])"

## record-ts: re-record the TypeScript snippets' cassettes (cassettes/ts/) from the offline emulator
##   and refresh their `//>` outputs. FORCE=1 lets it replace a cassette recorded from the real API.
.PHONY: record-ts
record-ts: $(SYNCED)
	CHROMA_JINA_TS_RECORD=1 CHROMA_JINA_RECORD_FORCE=$(FORCE) $(VENV)/bin/pytest tests/test_typescript.py \
		-q -k "snippet_runs or cassette"
