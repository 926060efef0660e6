"""Fault injection: seeded errors, latency, and writes committed before the connection drops."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest

from schemactl.emulator import DroppedConnection, Emulator, EmulatorConfig, Faults
from tests.emulator.conftest import make_client
from tests.emulator.helpers import ERROR_KEYS, ok, webhook_body

MIXED = {"rate_429": 0.2, "rate_500": 0.15, "rate_503": 0.1}


@pytest.fixture
def faulty() -> Iterator[Emulator]:
    """An emulator whose faults a test sets by replacing `config.faults`."""
    app = Emulator(EmulatorConfig(id_seed=3))
    yield app
    app.close()


def _statuses(faults: Faults, n: int) -> list[int]:
    app = Emulator(EmulatorConfig(id_seed=3, faults=faults))
    try:
        with make_client(app) as http:
            return [http.get("/v2/objects").status_code for _ in range(n)]
    finally:
        app.close()


def _object(slug: str) -> dict:
    return {"data": {"api_slug": slug, "singular_noun": slug.title(), "plural_noun": f"{slug}s"}}


def _slugs(app: Emulator) -> set[str]:
    with make_client(app) as http:
        return {o["api_slug"] for o in ok(http.get("/v2/objects"))}


def test_same_seed_same_faults():
    first = _statuses(Faults(seed=42, **MIXED), 80)
    second = _statuses(Faults(seed=42, **MIXED), 80)
    assert first == second
    assert set(first) == {200, 429, 500, 503}
    # The seed matters: another one gives another sequence.
    assert _statuses(Faults(seed=43, **MIXED), 80) != first


def test_rates_are_roughly_honoured():
    n = 600
    counts = Counter(_statuses(Faults(seed=7, **MIXED), n))
    expected = {
        429: MIXED["rate_429"],
        500: MIXED["rate_500"],
        503: MIXED["rate_503"],
        200: 1 - sum(MIXED.values()),
    }
    for status, rate in expected.items():
        # Five standard deviations either side: generous, yet far from 0 or from n.
        spread = 5 * (n * rate * (1 - rate)) ** 0.5
        assert abs(counts[status] - n * rate) <= spread, (status, counts)


def test_faults_are_off_by_default(faulty):
    assert not faulty.config.faults.active
    assert set(_statuses(Faults(), 50)) == {200}


def test_injected_errors_have_attios_shape(faulty):
    for field, status, kind in (
        ("rate_429", 429, "rate_limit_error"),
        ("rate_500", 500, "server_error"),
        ("rate_503", 503, "server_error"),
    ):
        faulty.config.faults = Faults(**{field: 1.0})
        with make_client(faulty) as http:  # the hook checks the flat error shape too
            response = http.get("/v2/objects")
        assert response.status_code == status
        body = response.json()
        assert set(body) == ERROR_KEYS
        assert (body["status_code"], body["type"]) == (status, kind)
        if status == 429:
            assert body["code"] == "rate_limit_exceeded"
            assert parsedate_to_datetime(response.headers["Retry-After"]).tzinfo is not None


def test_an_injected_429_says_retry_next_second_by_the_emulators_clock():
    app = Emulator(EmulatorConfig(clock=lambda: 1_700_000_000.4, faults=Faults(rate_429=1.0)))
    try:
        with make_client(app) as http:
            response = http.get("/v2/lists")
    finally:
        app.close()
    assert response.status_code == 429
    retry_at = parsedate_to_datetime(response.headers["Retry-After"])
    assert retry_at == datetime.fromtimestamp(1_700_000_001, UTC)


@pytest.mark.parametrize("field", ["rate_429", "rate_500", "rate_503"])
def test_an_injected_error_is_not_applied(faulty, field):
    faulty.config.faults = Faults(**{field: 1.0})
    with make_client(faulty) as http:
        assert http.post("/v2/objects", json=_object("ghost")).status_code >= 429
    faulty.config.faults = Faults()
    assert "ghost" not in _slugs(faulty)


def test_latency_is_added_to_every_attio_request(faulty):
    slept: list[float] = []
    faulty.config.faults = Faults(latency_seconds=0.75, sleep=slept.append)
    with make_client(faulty) as http:
        assert http.get("/v2/objects").status_code == 200
        ok(http.post("/v2/objects", json=_object("slow")))
        assert http.get("/_emulator/state").status_code == 200
    assert slept == [0.75, 0.75]  # not for the control endpoint


def test_latency_default_really_sleeps(faulty):
    """Without an injected `sleep`, latency is spent with time.sleep (observed, not timed)."""
    faults = Faults(latency_seconds=0.01)
    assert faults.sleep is time.sleep
    faulty.config.faults = faults
    with make_client(faulty) as http:
        assert http.get("/v2/objects").status_code == 200


def test_drop_after_commit_loses_the_reply_but_keeps_the_write(faulty):
    faulty.config.faults = Faults(drop_after_commit=1.0)
    with make_client(faulty) as http, pytest.raises(ConnectionResetError) as raised:
        http.post("/v2/objects", json=_object("orphan"))
    assert isinstance(raised.value, DroppedConnection)
    # A fresh client, with faults off: the write was committed.
    faulty.config.faults = Faults()
    with make_client(faulty) as fresh:
        found = ok(fresh.get("/v2/objects/orphan"))
    assert found["api_slug"] == "orphan"


def test_drop_after_commit_applies_to_updates_and_deletes(faulty):
    with make_client(faulty) as http:
        ok(http.post("/v2/objects", json=_object("thing")))
        hook = ok(http.post("/v2/webhooks", json=webhook_body()))
    webhook = f"/v2/webhooks/{hook['id']['webhook_id']}"
    faulty.config.faults = Faults(drop_after_commit=1.0)
    with make_client(faulty) as http:
        with pytest.raises(DroppedConnection):
            http.patch("/v2/objects/thing", json={"data": {"plural_noun": "Many things"}})
        with pytest.raises(DroppedConnection):
            http.delete(webhook)
    faulty.config.faults = Faults()
    with make_client(faulty) as http:
        assert ok(http.get("/v2/objects/thing"))["plural_noun"] == "Many things"
        assert http.get(webhook).status_code == 404


def test_a_refused_write_is_answered_not_dropped(faulty):
    """Nothing was committed, so there is no reply to lose: the 400 arrives."""
    faulty.config.faults = Faults(drop_after_commit=1.0)
    with make_client(faulty) as http:
        response = http.post("/v2/objects", json={"data": {"api_slug": "Not A Slug"}})
    assert response.status_code == 400


def test_drop_after_commit_never_drops_reads(faulty):
    faulty.config.faults = Faults(drop_after_commit=1.0)
    with make_client(faulty) as http:
        for _ in range(20):
            assert http.get("/v2/objects").status_code == 200


def test_drop_after_commit_is_seeded(faulty):
    def run() -> list[str]:
        app = Emulator(EmulatorConfig(id_seed=3, faults=Faults(seed=5, drop_after_commit=0.5)))
        outcome = []
        try:
            with make_client(app) as http:
                for n in range(30):
                    try:
                        http.post("/v2/objects", json=_object(f"thing_{n}"))
                        outcome.append("ok")
                    except DroppedConnection:
                        outcome.append("dropped")
            committed = _slugs(app)
        finally:
            app.close()
        assert {f"thing_{n}" for n in range(30)} <= committed  # every write kept
        return outcome

    first = run()
    assert first == run()
    assert set(first) == {"ok", "dropped"}


def test_control_endpoints_are_never_faulted(faulty):
    slept: list[float] = []
    faulty.config.faults = Faults(
        rate_500=1.0, latency_seconds=5.0, drop_after_commit=1.0, sleep=slept.append
    )
    with make_client(faulty) as http:
        for _ in range(10):
            assert http.get("/_emulator/state").status_code == 200
            assert http.get("/_emulator/requests").status_code == 200
            assert http.delete("/_emulator/requests").status_code == 200
            assert http.post("/_emulator/reset").status_code == 200
        assert http.get("/v2/objects").status_code == 500  # while Attio's endpoints are
    assert slept == [5.0]


def test_faults_do_not_break_the_conformance_of_what_gets_through(faulty):
    faulty.config.faults = Faults(seed=1, rate_500=0.5)
    with make_client(faulty) as http:
        responses = [http.get("/v2/objects/people/attributes") for _ in range(20)]
    # Every response, faulted or not, passed the client's conformance hook.
    assert {r.status_code for r in responses} == {200, 500}
