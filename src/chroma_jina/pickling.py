"""Pickling a function or reranker as the settings it was created with: what worker processes
(multiprocessing, process pools) receive, rebuilt there with an HTTP client and a key budget
of their own. Its client, locks and budget belong to one process and never travel."""

from __future__ import annotations

from typing import Any

UNPICKLABLE = ("http_client", "async_http_client", "clock")
"""Settings that belong to one process: an object created with one cannot be pickled."""


class _Hidden:
    """A setting kept out of every repr (the API key: `repr(vars(function))` must not show it)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "'***'"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Hidden, (self.value,))


def settings_of(arguments: dict[str, Any]) -> dict[str, Any]:
    """A constructor's arguments (its `locals()`, without `self`), the API key hidden."""
    kept = {name: value for name, value in arguments.items() if name != "self"}
    if kept.get("api_key") is not None:
        kept["api_key"] = _Hidden(kept["api_key"])
    return kept


def _rebuild(cls: type[Any], settings: dict[str, Any]) -> Any:
    """The object a pickle describes."""
    return cls(**{k: v.value if isinstance(v, _Hidden) else v for k, v in settings.items()})


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
