"""What apply leaves behind: captured webhook secrets (0600) and a JSON Lines audit log."""

from __future__ import annotations

import errno
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schemactl.address import Address
from schemactl.errors import SchemactlError, redact, register_secret


class SecretsFileError(SchemactlError):
    """The file for webhook secrets cannot be written."""


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600), atomically, whatever was there before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


class SecretStore:
    """Webhook secrets, which Attio shows once, kept in a 0600 JSON file merged by address."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self.saved = 0  # secrets saved by this store

    def check(self) -> None:
        """Fail before any webhook is created if its secret could not be saved: Attio shows a
        secret once, so one that cannot be written, or merged with those saved before, is lost
        for good (or would cost the ones saved before)."""
        probe = self.path.with_name(f".{self.path.name}.{os.getpid()}.check")
        try:
            if self.path.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            os.unlink(probe)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename and exc.filename != str(probe) else ""
            raise SecretsFileError(
                f"cannot save webhook secrets to {self.path}: {exc.strerror or exc}{where}; "
                "nothing was changed (choose another file with --secrets-out)"
            ) from None
        if self.path.exists():
            try:
                saved = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                saved = None
            if not isinstance(saved, dict):
                raise SecretsFileError(
                    f"{self.path} does not hold a JSON object of saved secrets, so new ones "
                    "cannot be merged into it; nothing was changed (fix or move the file, or "
                    "choose another with --secrets-out)"
                )

    def save(self, address: Address, secret: str, webhook: dict[str, Any]) -> None:
        register_secret(secret)  # from now on, never shown, nor written anywhere else
        with self._lock:
            current: dict[str, Any] = {}
            if self.path.exists():
                try:
                    current = json.loads(self.path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    current = {}  # unreadable: rewrite it rather than lose the new secret
            current[str(address)] = {
                "webhook_id": (webhook.get("id") or {}).get("webhook_id"),
                "target_url": webhook.get("target_url"),
                "secret": secret,
                "captured_at": _now(),
            }
            write_private(self.path, json.dumps(current, indent=2, sort_keys=True) + "\n")
            self.saved += 1


class AuditLog:
    """One JSON Lines file per apply: what was asked, and how each change ended. No secrets."""

    def __init__(self, directory: Path, *, environment: str | None, workspace: dict[str, Any]):
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self.path = directory / f"{stamp}-{environment or 'default'}.jsonl"
        self._lock = threading.Lock()
        self.write({"event": "start", "environment": environment, "workspace": workspace})

    def write(self, record: dict[str, Any]) -> None:
        # A message quoting a token or a secret (a server may echo one) is written without it.
        line = redact(json.dumps({"time": _now(), **record}, sort_keys=True, default=str))
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
