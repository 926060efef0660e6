"""Fixtures for emulator tests: an in-process emulator and an httpx client that checks every
response it receives against Attio's OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from schemactl.emulator import Emulator, EmulatorConfig
from tests.emulator import openapi

BASE = "http://emulator.test"


def make_client(
    emulator: Emulator, *, token: str | None = None, check: bool = True
) -> httpx.Client:
    """A raw httpx client on the in-process app; with `check`, non-conforming bodies fail tests."""
    hooks = {"response": [_conformance_hook]} if check and openapi.document() else {}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        transport=httpx.WSGITransport(app=emulator),
        base_url=BASE,
        headers=headers,
        event_hooks=hooks,
    )


def _conformance_hook(response: httpx.Response) -> None:
    # The still-encoded path: a title holding `/` stays one segment (`%2F`).
    path = response.request.url.raw_path.decode("ascii").partition("?")[0]
    if path.startswith("/_emulator/"):
        return
    response.read()
    found = openapi.problems(response.request.method, path, response.status_code, response.json())
    assert not found, f"{response.request.method} {path} -> {response.status_code}: {found}"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    app = Emulator(EmulatorConfig(id_seed=7))
    yield app
    app.close()


@pytest.fixture
def events(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The webhook events of committed writes, in order (delivery itself still runs)."""
    seen: list[dict[str, Any]] = []
    deliver = emulator.deliver

    def record_and_deliver(batch: list[dict[str, Any]]) -> None:
        seen.extend(batch)
        deliver(batch)

    monkeypatch.setattr(emulator, "deliver", record_and_deliver)
    return seen


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with make_client(emulator) as http:
        yield http


@pytest.fixture
def requires_openapi() -> None:
    if openapi.document() is None:
        pytest.skip(f"Attio's OpenAPI document is not at {openapi.OPENAPI_PATH}")
