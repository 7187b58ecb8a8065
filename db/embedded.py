"""An embedded PostgreSQL (the pgserver package) for running warga with nothing but Python installed."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger("warga.db")


class EmbeddedPostgres:
    """Starts a private PostgreSQL in a data folder and stops it again; `url` is what asyncpg connects to."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs complains about XDG_RUNTIME_DIR in containers
            import pgserver

            self.data_dir.mkdir(parents=True, exist_ok=True)
            # cleanup_mode="stop": stop the server on exit, keep the data for the next run.
            self._server = pgserver.get_server(self.data_dir.resolve(), cleanup_mode="stop")
        log.info("embedded postgres started", extra={"data_dir": str(self.data_dir)})
        return str(self._server.get_uri())

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
