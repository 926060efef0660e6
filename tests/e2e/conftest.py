"""End-to-end fixtures: the real CLI against the real emulator, embedded or served over HTTP.

Nothing of schemactl is mocked. A live workspace is prepared with raw HTTP calls shaped as
Attio's API takes them, on the same SQLite file the project's `local:PATH` target opens (or on
an emulator served on a loopback port), and the emulator is closed before the CLI runs.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from schemactl.cli.main import cli
from schemactl.emulator import Emulator, EmulatorConfig
from schemactl.emulator.server import base_url, build_server

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "examples"
EXAMPLES = sorted(p.name for p in EXAMPLES_DIR.iterdir() if (p / "schemactl.yaml").is_file())

# The variable HTTP projects name in `token_env`, and a token value that must never be shown.
TOKEN_VARIABLE = "SCHEMACTL_E2E_TOKEN"
CANARY_TOKEN = "e2e-canary-token-5d1f0c9a7b"
SERVED_SLUG = "acme"
# Variables the CLI reads; whatever the developer's shell holds must not leak into a run.
_AMBIENT_VARIABLES = (
    "ATTIO_API_TOKEN",
    "ATTIO_TOKEN_PROD",
    "NO_COLOR",
    "SCHEMACTL_DEBUG",
    "SCHEMACTL_ENV",
    "SCHEMACTL_WORKSPACE",
    TOKEN_VARIABLE,
)
_TRACEBACK_MARKERS = ("Traceback (most recent call last)", "internal error")


@dataclass(frozen=True)
class Run:
    """What one command printed and how it exited."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def last_line(self) -> str:
        lines = self.stdout.rstrip("\n").splitlines()
        return lines[-1] if lines else ""


def assert_no_traceback(run: Run) -> None:
    for stream in (run.stdout, run.stderr):
        for marker in _TRACEBACK_MARKERS:
            assert marker not in stream, f"{marker!r} in output:\n{stream}"


def schemactl(*args: str | Path, env: dict[str, str] | None = None, traceback: bool = False) -> Run:
    """`schemactl ARGS` in process, through click's CliRunner (stdout and stderr apart).

    No output may hold a traceback, except with `traceback=True` (`--debug` on an error).
    """
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    run = Run(result.exit_code, result.stdout, result.stderr)
    if not traceback:
        assert_no_traceback(run)
    return run


def schemactl_process(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """`python -m schemactl ARGS` in a real subprocess, with the ambient variables removed."""
    environment = {k: v for k, v in os.environ.items() if k not in _AMBIENT_VARIABLES}
    environment.update(env or {})
    completed = subprocess.run(
        [sys.executable, "-m", "schemactl", *(str(a) for a in args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    run = Run(completed.returncode, completed.stdout, completed.stderr)
    assert_no_traceback(run)
    return run


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ambient variables; paths print relative to tmp_path; --debug logging undone after."""
    for name in _AMBIENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    logger = logging.getLogger("schemactl.attio")
    level, handlers = logger.level, list(logger.handlers)
    try:
        yield
    finally:
        # `--debug` switches the client's request log on for the process; one CLI run per
        # process in real life, but here it would leak into every later test's stderr.
        logger.setLevel(level)
        for handler in logger.handlers[:]:
            if handler not in handlers:
                logger.removeHandler(handler)


# --- projects ---------------------------------------------------------------------------------


def copy_example(name: str, destination: Path) -> Path:
    """A copy of examples/NAME (the embedded workspace writes .schemactl/ inside it)."""
    target = destination / name
    shutil.copytree(EXAMPLES_DIR / name, target, ignore=shutil.ignore_patterns(".schemactl"))
    return target


def write_project(
    root: Path,
    manifests: dict[str, str],
    environments: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """A project at `root`: schemactl.yaml with `environments` and manifests/NAME files."""
    environments = environments or {"dev": {"workspace": "local:ws.db"}}
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    project = {
        "version": 1,
        "manifests": ["manifests/"],
        "default_environment": next(iter(environments)),
        "environments": environments,
    }
    (root / "schemactl.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    for name, text in manifests.items():
        (root / "manifests" / name).write_text(textwrap.dedent(text).lstrip())
    return root


# --- preparing a live workspace with raw HTTP -----------------------------------------------


class LiveWorkspace:
    """Raw Attio API calls (httpx, `{"data": …}` bodies), to set a workspace up by hand."""

    def __init__(self, http: httpx.Client):
        self.http = http

    def call(self, method: str, path: str, data: Any = None) -> Any:
        body = None if data is None else {"data": data}
        response = self.http.request(method, f"/v2/{path}", json=body)
        assert response.status_code == 200, f"{method} {path}: {response.text}"
        payload = response.json()
        return payload["data"] if isinstance(payload, dict) and "data" in payload else payload

    def create_object(self, slug: str, singular: str, plural: str) -> dict[str, Any]:
        return self.call(
            "POST",
            "objects",
            {"api_slug": slug, "singular_noun": singular, "plural_noun": plural},
        )

    def create_attribute(
        self,
        parent: str,
        slug: str,
        attribute_type: str,
        *,
        title: str | None = None,
        config: dict[str, Any] | None = None,
        is_multiselect: bool = False,
        is_required: bool = False,
    ) -> dict[str, Any]:
        """An attribute of `parent` (`objects/projects`, `lists/key_accounts`)."""
        return self.call(
            "POST",
            f"{parent}/attributes",
            {
                "title": title or slug.replace("_", " ").capitalize(),
                "description": None,
                "api_slug": slug,
                "type": attribute_type,
                "is_required": is_required,
                "is_unique": False,
                "is_multiselect": is_multiselect,
                "config": config or {},
            },
        )

    def archive_attribute(self, parent: str, slug: str) -> dict[str, Any]:
        return self.call("PATCH", f"{parent}/attributes/{slug}", {"is_archived": True})

    def create_option(self, parent: str, attribute: str, title: str) -> dict[str, Any]:
        return self.call("POST", f"{parent}/attributes/{attribute}/options", {"title": title})

    def create_status(self, parent: str, attribute: str, title: str, **fields: Any) -> dict:
        return self.call(
            "POST", f"{parent}/attributes/{attribute}/statuses", {"title": title, **fields}
        )

    def create_list(self, slug: str, name: str, parent_object: str) -> dict[str, Any]:
        return self.call(
            "POST",
            "lists",
            {
                "name": name,
                "api_slug": slug,
                "parent_object": parent_object,
                "workspace_access": "full-access",
                "workspace_member_access": [],
            },
        )

    def create_webhook(self, target_url: str, subscriptions: list[dict[str, Any]]) -> dict:
        return self.call(
            "POST", "webhooks", {"target_url": target_url, "subscriptions": subscriptions}
        )


@contextmanager
def live_workspace(db: Path, **config: Any) -> Iterator[LiveWorkspace]:
    """The workspace in `db` (the file a `local:PATH` target opens), closed on leaving."""
    emulator = Emulator(EmulatorConfig(db=str(db), **config))
    try:
        transport = httpx.WSGITransport(app=emulator)
        with httpx.Client(transport=transport, base_url="http://attio.test") as http:
            yield LiveWorkspace(http)
    finally:
        emulator.close()


def name_embedded_workspace(project: Path, slug: str) -> None:
    """Create the project's embedded workspace (`local`) as a workspace with this slug."""
    (project / ".schemactl").mkdir(exist_ok=True)
    with live_workspace(project / ".schemactl" / "local.db", workspace_slug=slug):
        pass


# --- the emulator as a real HTTP server ------------------------------------------------------


@dataclass
class ServedEmulator:
    """An emulator on 127.0.0.1 with one token, its URL, and its control endpoints."""

    url: str  # ends in /v2
    emulator: Emulator

    @property
    def root(self) -> str:
        return self.url.removesuffix("/v2")

    def requests(self) -> dict[str, Any]:
        """`GET /_emulator/requests`: counts by `METHOD /path-template`, reads, writes."""
        response = httpx.get(f"{self.root}/_emulator/requests", timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def clear_requests(self) -> None:
        response = httpx.delete(f"{self.root}/_emulator/requests", timeout=10)
        assert response.status_code == 200, response.text

    @contextmanager
    def live(self) -> Iterator[LiveWorkspace]:
        headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
        with httpx.Client(base_url=self.root, headers=headers, timeout=10) as http:
            yield LiveWorkspace(http)


@pytest.fixture
def served() -> Iterator[ServedEmulator]:
    """An emulator served over real HTTP on a free loopback port; always stopped."""
    emulator = Emulator(
        EmulatorConfig(tokens={CANARY_TOKEN: None}, rate_limit="off", workspace_slug=SERVED_SLUG)
    )
    try:
        server = build_server(emulator, "127.0.0.1", 0)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield ServedEmulator(base_url(server), emulator)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
    finally:
        emulator.close()
