"""`schemactl emulator serve` as a real threaded HTTP server: start, serve, stop, restart."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from schemactl.cli.emulator import serve
from schemactl.emulator import Emulator, EmulatorConfig, Faults
from schemactl.emulator.server import base_url, build_server

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="stops the server with SIGINT")

REPO = Path(__file__).resolve().parents[2]
START_DEADLINE = 30.0  # seconds to wait for the server to announce itself
URL = re.compile(r"(http://127\.0\.0\.1:\d+/v2)\b")


class ServerProcess:
    """`python -m schemactl emulator serve …` in a subprocess, its stdout read line by line."""

    def __init__(self, tmp_path: Path, *args: str):
        self.stderr_path = tmp_path / f"server-{time.monotonic_ns()}.stderr"
        self._stderr = self.stderr_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "schemactl", "emulator", "serve", "--port", "0", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stdout: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self._wait_for_url()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                break
            self.stdout.append(line)
            found = URL.search(line)
            if found:
                return found.group(1)
        self.kill()
        pytest.fail(
            f"the server announced no URL within {START_DEADLINE}s; stdout={self.stdout!r}, "
            f"stderr={self.stderr_path.read_text()!r}"
        )

    def interrupt(self) -> int:
        """Ctrl-C, then the exit code; the rest of stdout is collected into `self.stdout`."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=START_DEADLINE)
        self._reader.join(timeout=START_DEADLINE)
        while (line := self.lines.get_nowait() if not self.lines.empty() else None) is not None:
            self.stdout.append(line)
        self._stderr.close()
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=START_DEADLINE)
        self._stderr.close()


@pytest.fixture
def start_server(tmp_path) -> Iterator:
    """Start servers for a test; whatever is still running at the end is killed."""
    started: list[ServerProcess] = []

    def start(*args: str) -> ServerProcess:
        server = ServerProcess(tmp_path, *args)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.kill()


def _client(url: str, token: str | None = "t") -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url.removesuffix("/v2"), headers=headers, timeout=30)


def _object(slug: str) -> dict:
    return {
        "data": {"api_slug": slug, "singular_noun": f"{slug} one", "plural_noun": f"{slug} all"}
    }


def test_serve_answers_over_http_stops_on_ctrl_c_and_keeps_its_db(start_server, tmp_path):
    db = tmp_path / "nested" / "workspace.db"
    args = ("--db", str(db), "--rate-limit", "off", "--token", "t")
    server = start_server(*args)
    assert server.url.startswith("http://127.0.0.1:")
    assert not server.url.endswith(":0/v2")
    with _client(server.url) as http, _client(server.url, token=None) as anonymous:
        assert anonymous.get("/v2/objects").status_code == 401
        with _client(server.url, token="other") as stranger:
            assert stranger.get("/v2/objects").status_code == 401
        created = http.post("/v2/objects", json=_object("tickets"))
        assert created.status_code == 200, created.text
        object_id = created.json()["data"]["id"]["object_id"]
        before = http.get("/v2/objects").json()["data"]
    assert server.interrupt() == 0
    assert server.stdout[-1].strip() == "Stopped."
    assert db.is_file()

    again = start_server(*args)
    with _client(again.url) as http:
        found = http.get("/v2/objects/tickets")
        assert found.status_code == 200
        assert found.json()["data"]["id"]["object_id"] == object_id
        # The same workspace, not a re-seeded one beside the old data.
        assert http.get("/v2/objects").json()["data"] == before
    assert again.interrupt() == 0


def test_scoped_tokens_over_http(start_server):
    server = start_server("--rate-limit", "off", "--token", "ro:object_configuration:read")
    with _client(server.url, token="ro") as http:
        assert http.get("/v2/objects").status_code == 200
        refused = http.post("/v2/objects", json=_object("tickets"))
        assert refused.status_code == 403
        assert "object_configuration:read-write" in refused.json()["message"]
    assert server.interrupt() == 0


def test_serve_defaults_to_the_real_rate_limit():
    (option,) = [p for p in serve.params if p.name == "rate_limit"]
    assert option.default == "real"


def test_concurrent_writes_all_land_exactly_once(start_server, tmp_path):
    server = start_server("--db", str(tmp_path / "busy.db"), "--rate-limit", "off", "--token", "t")
    with _client(server.url) as http:
        before = http.get("/v2/objects").json()["data"]
    failures: list[str] = []

    def writer(thread: int) -> None:
        with _client(server.url) as http:
            for n in range(25):
                response = http.post("/v2/objects", json=_object(f"t{thread}_{n}"))
                if response.status_code != 200:
                    failures.append(f"{thread}/{n}: {response.status_code} {response.text}")

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    with _client(server.url) as http:
        after = http.get("/v2/objects").json()["data"]
        counted = http.get("/_emulator/requests").json()["data"]["counts"]
    created = after[len(before) :]
    assert after[: len(before)] == before
    assert len(created) == 200
    assert {o["api_slug"] for o in created} == {f"t{t}_{n}" for t in range(8) for n in range(25)}
    ids = [o["id"]["object_id"] for o in after]
    assert len(set(ids)) == len(ids)
    assert counted["POST /v2/objects"] == 200
    assert server.interrupt() == 0


def test_port_in_use_is_a_clear_error(start_server):
    server = start_server("--rate-limit", "off")
    port = server.url.split(":")[2].split("/")[0]
    taken = subprocess.run(
        [sys.executable, "-m", "schemactl", "emulator", "serve", "--port", port],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=START_DEADLINE,
    )
    assert taken.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr
    assert "Traceback" not in taken.stderr
    assert server.interrupt() == 0


# --- an in-process server, for faults over a real socket --------------------------------------


@contextmanager
def serving(app: Emulator) -> Iterator[str]:
    server = build_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url(server)
    finally:
        server.shutdown()
        thread.join(timeout=START_DEADLINE)
        server.server_close()
        app.close()


def test_commit_then_drop_over_a_real_socket():
    app = Emulator(EmulatorConfig(faults=Faults(drop_after_commit=1.0)))
    with serving(app) as url, _client(url, token=None) as http:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            http.post("/v2/objects", json=_object("orphan"))
        assert http.get("/v2/objects").status_code == 200  # reads are not dropped
        app.config.faults = Faults()
        with _client(url, token=None) as fresh:
            found = fresh.get("/v2/objects/orphan")
        assert found.status_code == 200
        assert found.json()["data"]["api_slug"] == "orphan"


def test_rate_limit_headers_cross_a_real_socket():
    frozen = 1_700_000_000.5
    app = Emulator(EmulatorConfig(rate_limit="real", clock=lambda: frozen))
    with serving(app) as url, _client(url, token=None) as http:
        for n in range(25):
            assert http.post("/v2/objects", json=_object(f"thing_{n}")).status_code == 200
        refused = http.post("/v2/objects", json=_object("one_too_many"))
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limit_exceeded"
    assert refused.headers["Retry-After"] == "Tue, 14 Nov 2023 22:13:21 GMT"


def test_in_process_server_reports_its_real_port():
    app = Emulator(EmulatorConfig())
    with serving(app) as url, _client(url, token=None) as http:
        assert re.fullmatch(r"http://127\.0\.0\.1:[1-9]\d*/v2", url)
        assert http.get("/v2/self").status_code == 200
