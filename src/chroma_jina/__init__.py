"""A drop-in Jina AI embedding function for Chroma."""

__version__ = "0.1.0"
