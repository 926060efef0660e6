"""The one error tree of schemactl: library code raises these, only the CLI prints them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Location:
    """A place in a user's file: 1-based line and column."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a user's file, printed as `FILE:LINE:COL: message (at key.path)`."""

    location: Location
    message: str
    key_path: str = ""

    def __str__(self) -> str:
        suffix = f" (at {self.key_path})" if self.key_path else ""
        return f"{self.location}: {self.message}{suffix}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        location = self.location
        return (location.file, location.line, location.column, self.message, self.key_path)


class SchemactlError(Exception):
    """Base of every error schemactl raises on purpose; its text is safe to show a user."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The problem as lines for stderr, one line per problem."""
        return [str(self)]


class UsageError(SchemactlError):
    """The command line itself is wrong (unknown environment, conflicting flags)."""

    exit_code = 64


class ProjectError(SchemactlError):
    """The project (schemactl.yaml, manifest paths) cannot be used."""


class DiagnosticsError(SchemactlError):
    """One or more located problems in the user's files; all are reported at once."""

    def __init__(self, diagnostics: list[Diagnostic]):
        # Deduplicate keeping first occurrences; the sort is stable, so ties keep their order.
        self.diagnostics = sorted(dict.fromkeys(diagnostics), key=Diagnostic.sort_key)
        count = len(self.diagnostics)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found")

    def lines(self) -> list[str]:
        return [str(d) for d in self.diagnostics]


class ManifestError(DiagnosticsError):
    """Manifests failed to render, load or validate."""


def display_path(path: Path | str) -> str:
    """A path as the user should see it: relative to the working directory when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- values that must never be shown --------------------------------------------------------

REDACTED = "[redacted]"
# Shorter values are not hidden: replacing a few common characters everywhere would garble the
# messages, and Attio's tokens and webhook secrets are far longer.
_MIN_SECRET_CHARS = 8
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a value that must never be shown (an API token, a webhook secret).

    `redact` then removes it from what the CLI shows or logs even when something echoed it by
    accident, e.g. an HTTP library's error quoting a server's reply, chained under ours and
    printed by `--debug`.
    """
    if value and len(value) >= _MIN_SECRET_CHARS:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every value given to `register_secret` replaced by `[redacted]`."""
    with _secrets_lock:
        # Longest first: one secret may contain another.
        hidden = sorted(_secrets, key=len, reverse=True)
    for value in hidden:
        if value in text:
            text = text.replace(value, REDACTED)
    return text
