"""Cached data: the process's store, metric calls cached until the data changes, choice lists.

Pages pass the metric function itself (`cached.data(metrics.kpis, f, as_of)`): its module and
name, the arguments and the store's data version make the cache key (call_key), so a renamed
metric fails where it is called and a new upload shows at once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from clinic import attendance, bands, config, demo, metrics, resolution, retention, targets
from clinic.store import Store, StoreError, open_store
from clinic.ui.say import quietly, shown


@st.cache_resource(show_spinner=False)
def _store_at(path: str) -> Store:
    """The process-wide store for a path (DuckDB wants one instance per process)."""
    return open_store(path)


def store() -> Store:
    """The store named by CLINIC_DB (else the default path); stops the page with a sentence."""
    found = shown(
        lambda: _store_at(str(config.db_path())),
        "The data store could not be opened; tell the administrator.",
        (StoreError,),
        "opening the store",
    )
    if found is None:
        st.stop()
    return found


# The domain modules whose public functions pages may call through data(): each takes the store
# first and returns a fully fetched result.
METRIC_MODULES = {
    m.__name__: m for m in (metrics, attendance, bands, retention, resolution, targets)
}
FIGURES_FAILURE = (
    "These figures could not be computed. Try a different date range; if it persists, "
    "tell the administrator (the details are in the server log)."
)
T = TypeVar("T")


def call_key(
    fn: Callable[..., Any], args: tuple, kwargs: dict[str, Any], version: int, path: str
) -> str:
    """The cache key of one metric call: the function's module and name, its arguments (their
    repr: Filters is a frozen dataclass, so its repr is stable), the data version and the store.

    Only a function of a metric module (METRIC_MODULES) is accepted, by itself: a name (a
    string) or anything else is refused, so every call can be followed to its definition.
    """
    module = METRIC_MODULES.get(getattr(fn, "__module__", ""))
    if not (inspect.isfunction(fn) and module is not None):
        raise TypeError(f"cached.data takes a function of clinic.metrics, not {fn!r}")
    if fn.__name__.startswith("_") or getattr(module, fn.__name__, None) is not fn:
        raise TypeError(f"{fn.__qualname__} is not a public function of {module.__name__}")
    arguments = repr((args, sorted(kwargs.items())))
    return f"{fn.__module__}.{fn.__qualname__}{arguments}@{version}:{path}"


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached(key: str, _fn: Callable[..., Any], path: str, _args: tuple, _kwargs: dict) -> Any:
    """One metric call, cached on its key (function, arguments, data version, store path)."""
    return _fn(open_store(path), *_args, **_kwargs)


def data(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """fn(store, *args, **kwargs) for a function of a metric module, cached until the data
    changes (a new upload shows at once, nothing else recomputes); None, with a sentence shown,
    on failure."""
    s = store()
    key = call_key(fn, args, kwargs, s.data_version(), str(s.path))
    return shown(
        lambda: _cached(key, fn, str(s.path), args, kwargs),
        FIGURES_FAILURE,
        (StoreError,),
        f"{fn.__module__}.{fn.__qualname__}",
    )


def data_for(f: Any, fn: Callable[..., T], *args: Any) -> T | None:
    """fn(store, f, *args) as data() gives it, or None when there is no such period (`f` None:
    a comparison of an open date range)."""
    return None if f is None else data(fn, f, *args)


def options() -> dict[str, list[str]]:
    """Choice lists for the filters (sites, clinicians, effects ...), cached; {} on failure."""
    return data(metrics.options) or {}


def date_bounds() -> tuple[date | None, date | None]:
    """The first and last appointment date in the store, cached; (None, None) on failure."""
    return data(metrics.date_bounds) or (None, None)


def as_of() -> date:
    """The date figures are computed for: env CLINIC_AS_OF (tests, demos) else today."""
    return config.as_of()


def is_empty(df: Any) -> bool:
    """True when a result is missing or has no rows."""
    return df is None or (isinstance(df, pd.DataFrame) and df.empty)


def demo_notice() -> None:
    """Say so when the store holds synthetic demo data."""
    s = store()
    if quietly(lambda: demo.is_demo(s), "demo check"):
        st.sidebar.info(
            "Demo data: synthetic sessions, not real patients.", icon=":material/science:"
        )
