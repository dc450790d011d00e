"""Serving the sim: a threaded wsgiref server, in the foreground or in a thread."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pms_sim.app import WSGIApp, app_from_settings
from pms_sim.settings import Settings

__all__ = ["HOST", "make_sim_server", "serve", "running"]

# A PMS simulator holds (fake) patient data: never listen beyond this machine.
HOST = "127.0.0.1"


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    # The hub tab's iframe and the page load together; one thread each.
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_sim_server(app: WSGIApp, port: int = 0, quiet: bool = False) -> WSGIServer:
    """Bind HOST:port (0 picks a free port; read it back from server.server_port)."""
    handler = QuietHandler if quiet else WSGIRequestHandler
    return make_server(HOST, port, app, server_class=ThreadingWSGIServer, handler_class=handler)


def serve(port: int, app: WSGIApp | None = None) -> None:
    """Serve in the foreground until Ctrl-C; without `app`, one built from the environment."""
    if app is None:
        app = app_from_settings(Settings.from_env())
    with make_sim_server(app, port) as server:
        print(
            f"PMS simulator on http://{HOST}:{server.server_port}/ (Ctrl-C stops it)",
            file=sys.stderr,
        )
        with suppress(KeyboardInterrupt):
            server.serve_forever()


@contextmanager
def running(app: WSGIApp, port: int = 0, quiet: bool = True) -> Iterator[str]:
    """Serve in a background thread for the block; yields the base URL."""
    server = make_sim_server(app, port, quiet=quiet)
    # A short poll interval keeps shutdown (and so each test) quick.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="pms-sim", daemon=True
    )
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
