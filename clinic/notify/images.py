"""Static PNG images of the dashboard's figures (clinic/charts.py), for mails and the PDF pack.

Kaleido draws plotly figures in a headless Chromium it finds by itself (Debian's
/usr/bin/chromium). One browser is started on first use and kept for the process (about 4 s
once, then well under a second an image), and stopped at exit. MathJax is off: it would be
fetched from a CDN, and with no network the first image can fail.
"""

from __future__ import annotations

import atexit
import threading
import warnings

import plotly.graph_objects as go
import plotly.io as pio

WIDTH = 760
SCALE = 2  # sharp on high-density screens and in print

_lock = threading.Lock()
_started = False


class ImageError(RuntimeError):
    """A chart could not be drawn as an image; the message is a sentence."""


def _server() -> None:
    """Start the kept browser once per process (under the lock)."""
    global _started
    if _started:
        return
    import kaleido

    try:
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    except Exception as exc:  # no Chromium, or one that cannot start here
        raise ImageError(
            f"Charts could not be drawn as images: the headless browser did not start ({exc}). "
            "Install Chromium (Debian: apt-get install chromium) or set BROWSER_PATH."
        ) from None
    atexit.register(stop)
    _started = True


def stop() -> None:
    """Stop the kept browser (at exit; tests may call it too)."""
    global _started
    with _lock:
        if _started:
            import kaleido

            kaleido.stop_sync_server(silence_warnings=True)
            _started = False


def png(fig: go.Figure, width: int = WIDTH, height: int | None = None) -> bytes:
    """The figure as PNG bytes, `width` CSS pixels wide, at its own height unless given."""
    height = height or int(fig.layout.height or 440)
    with _lock:
        _server()
        with warnings.catch_warnings():
            # plotly warns that its kaleido options are ignored while a server runs: they are.
            warnings.filterwarnings("ignore", message="The kopts argument is ignored")
            try:
                return pio.to_image(fig, format="png", width=width, height=height, scale=SCALE)
            except Exception as exc:
                raise ImageError(f"A chart could not be drawn as an image ({exc}).") from None
