"""A real ``hookwire serve`` and a real receiver on loopback for the tests.

The binary is ``$HOOKWIRE_BIN`` (the Rust test suite sets it to the binary it
built); without it, ``target/release/hookwire`` of this repository.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import httpx
import pytest

from hookwire import Hookwire

REPO = Path(__file__).resolve().parents[3]
ADMIN = "sdk-test-admin-token"


def _binary() -> str:
    binary = os.environ.get("HOOKWIRE_BIN") or str(REPO / "target" / "release" / "hookwire")
    if not Path(binary).is_file():
        pytest.exit(f"no hookwire binary at {binary}: build it or set HOOKWIRE_BIN", returncode=2)
    return binary


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen

    def admin(self, **options) -> Hookwire:
        return Hookwire(self.base_url, ADMIN, **options)


def start_server(directory: str, **settings: str) -> Server:
    """``hookwire serve`` on a fresh SQLite file; ``settings`` become HOOKWIRE_* vars."""
    port = _free_port()
    env = dict(os.environ)
    env.update(
        HOOKWIRE_DATABASE_URL=f"sqlite://{directory}/hookwire.db",
        HOOKWIRE_LISTEN=f"127.0.0.1:{port}",
        HOOKWIRE_ADMIN_TOKEN=ADMIN,
        HOOKWIRE_ALLOW_HTTP="true",
        HOOKWIRE_ALLOW_PRIVATE_NETWORKS="true",
        HOOKWIRE_API_RATE_LIMIT_PER_SECOND="0",
        RUST_LOG="warn",
    )
    env.update({f"HOOKWIRE_{key.upper()}": value for key, value in settings.items()})
    process = subprocess.Popen([_binary(), "serve"], cwd=directory, env=env)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz").status_code == 200:
                return Server(base_url, process)
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"hookwire serve exited with {process.returncode}")
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("hookwire serve did not become ready")


def stop_server(server: Server) -> None:
    server.process.terminate()
    server.process.wait(timeout=30)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as directory:
        running = start_server(directory)
        admin = running.admin()
        for name in ("order.created", "order.paid", "invoice.sent"):
            admin.event_types.create(name, f"{name} (test)")
        admin.close()
        yield running
        stop_server(running)


@dataclass
class Received:
    headers: Dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP endpoint on loopback that records every request.

    It answers each request with the next status of ``answers`` (then 200).
    """

    url: str
    requests: "queue.Queue[Received]" = field(default_factory=queue.Queue)
    answers: List[int] = field(default_factory=list)

    def next(self, timeout: float = 10.0) -> Received:
        return self.requests.get(timeout=timeout)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: Dict[str, Optional[Receiver]] = {"receiver": None}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            current = state["receiver"]
            assert current is not None
            status = current.answers.pop(0) if current.answers else 200
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            current.requests.put(Received({k.lower(): v for k, v in self.headers.items()}, body))

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(f"http://127.0.0.1:{httpd.server_address[1]}/hook")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state["receiver"]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def tenant(server: Server) -> Iterator[Hookwire]:
    """A client signed in as a new tenant."""
    admin = server.admin()
    created = admin.tenants.create(f"tenant-{time.monotonic_ns()}")
    admin.close()
    client = Hookwire(server.base_url, created["api_key"])
    client.tenant_id = created["id"]  # type: ignore[attr-defined]
    yield client
    client.close()
