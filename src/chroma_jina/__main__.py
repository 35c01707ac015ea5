"""`python -m chroma_jina ingest FILE.jsonl ...` (see `chroma_jina.cli`)."""

import sys

from chroma_jina.cli import main

if __name__ == "__main__":
    sys.exit(main())
