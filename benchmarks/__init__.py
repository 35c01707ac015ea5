"""Measured comparisons of chroma-jina against chromadb's built-in Jina function and against the limit.

Run everything with `make bench`; see `docs/en/benchmarks.md` for what is measured and why.
"""
