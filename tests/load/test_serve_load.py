"""`schemactl emulator serve` under concurrent load: correct answers, nothing lost or doubled.

The bounded CI form of benchmarks/load_bench.py, which it runs as is: the server in its own
process on a free loopback port, 8 client threads sending 1,500 requests of the default mix of
reads and writes, each client checking every answer against what it wrote, and a watcher
checking whole-workspace snapshots while they run. Only correctness is asserted, never timing:
no 5xx, no status but the expected one, no snapshot showing a write half done, every
acknowledged write stored exactly once, counts exact, and the same workspace after a restart on
the same database file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="stops the server with SIGTERM")

REPO = Path(__file__).resolve().parents[2]
CLIENTS = 8
REQUESTS = 1_500
WATCH_INTERVAL = 0.05  # seconds between whole-workspace snapshots while the load runs


def _load_bench() -> ModuleType:
    """benchmarks/load_bench.py (benchmarks/ is not a package)."""
    name = "load_bench"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "load_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


def test_concurrent_mixed_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    bench = _load_bench()
    result = bench.run(
        clients=CLIENTS,
        requests=REQUESTS,
        seed=7,
        workdir=tmp_path,
        cwd=REPO,
        watch_interval=WATCH_INTERVAL,
    )
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert result.problems == [], "\n".join(
        [*result.problems, "--- server log (end) ---", log[-3000:]]
    )
    checks = result.checks

    # Every request of the load was answered, each with the status its kind expects.
    assert result.load_requests == REQUESTS
    assert checks["5xx"] == 0 and checks["server_5xx_logged"] == 0
    assert checks["server_tracebacks"] == 0
    assert checks["unexpected_status"] == 0 and checks["transport_errors"] == 0
    statuses = {key.rsplit(" ", 1)[0] for key in result.stats.statuses}
    assert statuses == set(bench.DEFAULT_MIX), "every kind of request was exercised"
    assert result.stats.expected_4xx["get_deleted_record 404"] > 0
    assert result.stats.expected_4xx["duplicate_unique 409"] > 0

    # No lost and no duplicated writes; reads agreed with the writes before them.
    assert checks["read_mismatches"] == 0
    assert checks["lost_writes"] == 0 and checks["unacknowledged_resources"] == 0
    assert checks["duplicate_ids"] == 0 and checks["ids_created"] > CLIENTS * 13
    assert checks["counts_match"] is True
    assert result.counts_after == checks["counts_expected"]
    assert result.counts_after["record"] > 0 and result.counts_after["entry"] > 0
    assert checks["requests_counted"] == checks["requests_sent"]
    assert checks["writes_counted"] == checks["writes_sent"]
    assert checks["records_readable"] is True
    # Whole-workspace snapshots taken during the load never showed a write half done.
    assert checks["snapshots_during_load"] >= 1
    assert checks["inconsistent_snapshots"] == 0

    # Stopped cleanly, and the same workspace came back from the same file.
    assert checks["exit_code"] == 0 and checks["exit_code_after_restart"] == 0
    assert checks["state_identical_after_restart"] is True
    assert checks["records_readable_after_restart"] is True
    assert checks["integrity_check"] == "ok"
