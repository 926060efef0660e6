"""The emulator's state in SQLite: one row per resource, its Attio-shaped JSON, one lock.

Every request runs inside `transaction()` (writes) or `snapshot()` (reads). A single
connection behind a lock keeps `:memory:` databases shared across threads and makes each write
request one atomic transaction; SQLite serialises writers anyway.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    parent_id TEXT,
    position INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS resources_by_parent ON resources (kind, parent_id, position);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    """Resources by kind ("object", "attribute", …), each a JSON document with a parent."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode, NORMAL loses no commit when the server process dies, only on an OS
            # crash or power loss; it spares a disk flush per write request, which held the
            # one lock for about half of each request's time (docs/performance.md).
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together, or not at all."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """A consistent view for reads."""
        with self._lock:
            yield self

    def is_empty(self) -> bool:
        row = self._db.execute("SELECT COUNT(*) FROM resources").fetchone()
        return row[0] == 0

    def clear(self) -> None:
        self._db.execute("DELETE FROM resources")
        self._db.execute("DELETE FROM meta")

    def insert(
        self, kind: str, id_: str, data: dict[str, Any], parent_id: str | None = None
    ) -> None:
        position = self._db.execute(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM resources WHERE kind = ?", (kind,)
        ).fetchone()[0]
        self._db.execute(
            "INSERT INTO resources (kind, id, parent_id, position, data) VALUES (?, ?, ?, ?, ?)",
            (kind, id_, parent_id, position, json.dumps(data)),
        )

    def update(self, kind: str, id_: str, data: dict[str, Any]) -> None:
        self._db.execute(
            "UPDATE resources SET data = ? WHERE kind = ? AND id = ?",
            (json.dumps(data), kind, id_),
        )

    def delete(self, kind: str, id_: str) -> None:
        self._db.execute("DELETE FROM resources WHERE kind = ? AND id = ?", (kind, id_))

    def get(self, kind: str, id_: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT data FROM resources WHERE kind = ? AND id = ?", (kind, id_)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def all(self, kind: str, parent_id: str | None = None) -> list[dict[str, Any]]:
        """Every resource of `kind` (under `parent_id`, if given) in creation order."""
        if parent_id is None:
            rows = self._db.execute(
                "SELECT data FROM resources WHERE kind = ? ORDER BY position", (kind,)
            )
        else:
            rows = self._db.execute(
                "SELECT data FROM resources WHERE kind = ? AND parent_id = ? ORDER BY position",
                (kind, parent_id),
            )
        return [json.loads(data) for (data,) in rows]

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT kind, COUNT(*) FROM resources GROUP BY kind ORDER BY kind")
        return dict(rows.fetchall())

    def get_meta(self, key: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )
