"""What the dashboard server runs beside its pages, as the one owner of the store.

- `handoff`: a loopback endpoint that runs command-line commands handed over by `python -m
  clinic` when the server holds the store (the CLI opens the store itself when none does);
- `clinic.inbox`: the drop folder (CLINIC_INBOX) watched and imported;
- `start()` / `Service.stop()`: open the store when the server starts, start the endpoint and
  the drop folder's watcher; dashboard.py hands start to web.lifespan.

Standard library and clinic only: no Streamlit, no Starlette.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from clinic import config, inbox
from clinic.service import handoff
from clinic.store import StoreError, open_store


@dataclass
class Service:
    """What one server process started beside its pages; stop() ends it all."""

    listener: handoff.Listener | None = None
    stoppers: list = field(default_factory=list)

    def stop(self) -> None:
        """Stop taking handed-over commands and stop the helpers (before the store shuts)."""
        if self.listener is not None:
            self.listener.close()
        for stop in self.stoppers:
            stop()


def start() -> Service:
    """Open the store named by CLINIC_DB (the server holds it from now on) and serve handoffs."""
    path = config.db_path().resolve()
    try:
        open_store(path)
    except StoreError as exc:  # a command holds it now: pages and handoffs open it later
        print(f"clinic: {exc}", file=sys.stderr)
    service = Service()
    # Neither helper may keep the dashboard from serving: each failure is a sentence in the log.
    try:
        service.listener = handoff.Listener(path)
    except OSError as exc:
        print(f"clinic: commands cannot be handed to this server ({exc}).", file=sys.stderr)
    drop = inbox.folder()
    if drop is not None:
        try:
            watcher = inbox.Inbox(drop, lambda: open_store(path))
        except OSError as exc:
            print(f"clinic: the drop folder {drop} cannot be watched ({exc}).", file=sys.stderr)
        else:
            watcher.start()
            service.stoppers.append(watcher.stop)
    return service
