"""`mtus serve`: the workbench on waitress, a production-grade pure-Python WSGI server.

Bound to the loopback interface unless told otherwise. Request and response bodies stay in memory
(waitress would buffer large ones in temporary files), so no case data reaches the disk.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

from checker.web.app import LOOPBACK_NAMES, MAX_REQUEST_BYTES, create_app

# Above the largest request and response the page makes (a PDF upload; a draft as Word document).
_IN_MEMORY_BYTES = 4 * MAX_REQUEST_BYTES


def trusted_hosts(host: str) -> tuple[str, ...] | None:
    """The Host names the server answers: loopback names and the address it is bound to; None
    (any) when it listens on every interface, where the names it is reached by are not known."""
    if host in ("0.0.0.0", "::", ""):
        return None
    return tuple(dict.fromkeys((host.lower(), *LOOPBACK_NAMES)))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(host: str, port: int, rules_dir: Path | None = None, templates_dir: Path | None = None) -> object:
    """A waitress server for the workbench, bound and ready to run (port 0: a free port)."""
    from waitress import create_server

    app = create_app(rules_dir, templates_dir, trusted_hosts(host))
    return create_server(
        app, host=host, port=port, threads=4, ident="mtus-checker", expose_tracebacks=False, clear_untrusted_proxy_headers=True,
        max_request_body_size=MAX_REQUEST_BYTES, inbuf_overflow=_IN_MEMORY_BYTES, outbuf_overflow=_IN_MEMORY_BYTES,
    )


def serve(host: str, port: int, rules_dir: Path | None, templates_dir: Path | None, announce: Callable[[str, bool], None]) -> None:
    """Run until interrupted; `announce` gets the address (once bound) and whether it is loopback only."""
    server = make_server(host, port, rules_dir, templates_dir)
    shown = f"[{server.effective_host}]" if ":" in str(server.effective_host) else server.effective_host
    announce(f"http://{shown}:{server.effective_port}/", is_loopback(host))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
