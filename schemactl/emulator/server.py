"""Run the emulator as a real threaded HTTP server on loopback (or any host you choose)."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable

from werkzeug.serving import (
    LISTEN_QUEUE,
    BaseWSGIServer,
    get_sockaddr,
    make_server,
    select_address_family,
)

from schemactl.emulator.app import Emulator


def build_server(emulator: Emulator, host: str, port: int) -> BaseWSGIServer:
    """A threaded server for `emulator`; port 0 picks a free port (see `server.port`).

    Raises OSError when the address cannot be bound. (werkzeug, left to bind by itself, prints
    its own message and calls sys.exit instead, which a caller cannot handle.)
    """
    family = select_address_family(host, port)
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(get_sockaddr(host, port, family))
        listener.listen(LISTEN_QUEUE)
        # The server takes a duplicate of the descriptor; ours is closed below either way.
        return make_server(host, port, emulator, threaded=True, fd=listener.fileno())
    finally:
        listener.close()


def base_url(server: BaseWSGIServer) -> str:
    host = server.host if ":" not in server.host else f"[{server.host}]"
    return f"http://{host}:{server.port}/v2"


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def serve_forever(server: BaseWSGIServer, announce: Callable[[str], None]) -> None:
    """Serve until Ctrl-C or SIGTERM; always release the socket."""
    # A process started in the background may inherit an ignored SIGINT; take both back.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    announce(base_url(server))
    try:
        server.serve_forever()  # werkzeug's loop returns quietly on KeyboardInterrupt
    finally:
        server.server_close()
