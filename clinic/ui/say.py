"""Sentences instead of tracebacks: text shown literally, and actions that fail with a sentence.

Every name, header, value or message that came from a user, a file or a URL reaches Streamlit's
markdown through plain(); every action a page runs goes through attempt() (or shown()), so a
failure is a sentence and the details go to the server log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from clinic.store import StoreError

log = logging.getLogger(__name__)


# What Streamlit's markdown (captions, alerts, labels) could read as markup, a link, an image,
# LaTeX, a directive or an icon: every ASCII punctuation mark, escaped.
_MARKUP = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object) -> str:
    """Text shown literally by Streamlit's markdown: markup characters backslash-escaped.

    Every name, header, value or message that came from a user, a file or a URL goes through
    this before it reaches a caption, an alert or a label.
    """
    return _MARKUP.sub(r"\\\1", str(text))


def shown(
    action: Callable[[], Any],
    failure: str,
    sentences: tuple[type[Exception], ...],
    what: str = "action",
) -> Any:
    """Run an action; show an exception of `sentences` as its own text, any other as `failure`."""
    try:
        return action()
    except sentences as exc:  # these carry a sentence written for the user (values included)
        st.error(plain(exc) if str(exc) else failure)
    except Exception:  # noqa: BLE001 - a page shows a sentence, never a traceback
        log.exception("%s failed", what)
        st.error(failure)
    return None


def quietly(action: Callable[[], Any], what: str) -> Any:
    """Run a side task that must never fail the page (audit, a notice); None when it fails."""
    try:
        return action()
    except Exception:  # noqa: BLE001 - the page still answers; the log has the details
        log.exception("%s failed", what)
        return None


def attempt(
    action: Callable[[], Any], failure: str, sentences: tuple[type[Exception], ...] = ()
) -> Any:
    """Run an action; show its own sentence (or `failure`) instead of a traceback; None then.

    Store errors, value errors and the exception types in `sentences` carry a sentence meant
    for the user; anything else is logged and replaced by `failure`.
    """
    return shown(
        action, failure, (StoreError, ValueError, LookupError, PermissionError, *sentences)
    )
