"""Pickling a function or reranker as the settings it was created with: what worker processes
(multiprocessing, process pools) receive, rebuilt there with an HTTP client and a key budget
of their own. Its client, locks and budget belong to one process and never travel."""

from __future__ import annotations

from typing import Any

UNPICKLABLE = ("http_client", "async_http_client", "clock")
"""Settings that belong to one process: an object created with one cannot be pickled."""


def _rebuild(cls: type[Any], settings: dict[str, Any]) -> Any:
    """The object a pickle describes."""
    return cls(**settings)


class PickledAsSettings:
    """Pickled as `self._settings`, the keyword arguments it was created with (set first thing
    in `__init__`)."""

    _settings: dict[str, Any]

    def __reduce__(self) -> tuple[Any, ...]:
        own = [name for name in UNPICKLABLE if self._settings.get(name) is not None]
        if own:
            raise TypeError(
                f"a {type(self).__name__} created with {', '.join(own)} cannot be pickled: "
                "create it in each process instead"
            )
        return (_rebuild, (type(self), self._settings))
