"""The compatibility suite: chroma-jina and chromadb's built-in Jina function, checked against the
same contract (Chroma's embedding-function protocol, the Jina API, the guide's promises).

Not a benchmark: every check is pass or fail. `make contract` prints the matrix and writes it into
the Migrating page of both languages (compatibility/matrix.py).
"""
