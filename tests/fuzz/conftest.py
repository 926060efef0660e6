"""Shared parts of the fuzz tests: seeds, hypothesis settings, and the checks every run must pass.

What every run must show, whatever the input:
- a command exits 0 or 1 (64 only where the environment's name is the problem, see
  `ENVIRONMENT_USAGE`), and an error prints at least one line on stderr, never a traceback or
  "internal error";
- a problem in a file is one line, `FILE:LINE:COL: message`, whose LINE and COL lie inside the
  file (file-level problems use `FILE:1:1`); any other error is a single free-form line;
- `validate` and `plan` change no file of the project, and the workspace's SQLite file (a
  `local:ws.db` target) is byte-for-byte and state-for-state what it was.

Generated text includes characters YAML refuses and bytes that are not UTF-8: each must be a
located problem, never a crash.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from schemactl.errors import Diagnostic
from tests.e2e.conftest import Run, live_workspace, schemactl

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
BAD_MANIFESTS = REPO / "tests" / "manifests" / "bad"
# Bad-corpus files too slow to mutate by the hundred (rendering one takes ~1 s).
_SLOW_SEEDS = frozenset({"rendered_too_large.yaml"})

# Every variable the seeds' templates read (the examples' and the bad corpus').
VARIABLES: dict[str, Any] = {
    "webhook_host": "hooks.example.com",
    "fund_currency": "USD",
    "fund_size": 50_000_000,
    "fund_count": 0,
    "hook_hosts": ["a.example.com", "b.example.com"],
}
# Variables the CLI reads; a developer's shell must not steer a fuzzed run.
AMBIENT_VARIABLES = (
    "ATTIO_API_TOKEN",
    "ATTIO_TOKEN_PROD",
    "NO_COLOR",
    "SCHEMACTL_DEBUG",
    "SCHEMACTL_ENV",
    "SCHEMACTL_WORKSPACE",
)

# A valid manifest using every kind of item, for seeds and for the prepared workspace.
RICH_MANIFEST = """\
objects:
  projects:
    singular_noun: Project
    plural_noun: Projects
    attributes:
      stage:
        title: Stage
        type: status
        statuses:
          - Planned
          - {title: Active, target_time_in_status: P14D}
          - {title: Done, celebration_enabled: true}
      budget:
        type: currency
        currency: {default_currency_code: USD, display_type: symbol}
      tags: &tags {type: select, is_multiselect: true, options: [Enterprise, High priority]}
      labels:
        <<: *tags
        title: Labels
      client:
        type: record-reference
        allowed_objects: [companies]
      due: {type: date, default_value: {type: dynamic, template: P1M}}
      owner: {type: actor-reference, default_value: {type: dynamic, template: current-user}}
      parent:
        type: record-reference
        relationship: {object: projects, title: Children, api_slug: children, is_multiselect: true}
  companies:
    attributes:
      tier: {type: select, options: [Gold, Silver]}
lists:
  key_accounts:
    name: Key Accounts
    parent_object: companies
    workspace_access: full-access
    attributes:
      priority: {type: select, options: [P0, P1, P2]}
webhooks:
  - target_url: https://{{ vars.webhook_host }}/attio
    subscriptions:
      - {event_type: record.created}
      - event_type: list-entry.created
        filter: {"$and": [{field: id.list_id, operator: equals, value: {ref: lists/key_accounts}}]}
{% if env == "prod" %}
  - target_url: https://audit.example.com/attio
    subscriptions: [{event_type: object-attribute.created}]
{% endif %}
"""


def fuzz_settings(max_examples: int) -> settings:
    """Deterministic and bounded: the same examples on every run, no example database.

    Fixtures here are set up once per test on purpose (a clean environment, a working
    directory); each example rebuilds the files it uses, so none leaks into the next.
    """
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


def manifest_seeds() -> list[str]:
    """Manifests to mutate: the examples', the bad corpus (good at reaching odd corners), and
    RICH_MANIFEST. Each is text as written, Jinja included."""
    paths = sorted(EXAMPLES.glob("*/manifests/**/*.yaml"))
    paths += sorted(p for p in BAD_MANIFESTS.rglob("*.yaml") if p.name not in _SLOW_SEEDS)
    return [RICH_MANIFEST, *(p.read_text(encoding="utf-8") for p in paths)]


# --- mutating text ----------------------------------------------------------------------------

FRAGMENTS = (
    *("{{", "}}", "{%", "%}", "{% if x %}", "{% if true %}", "{% else %}", "{% endif %}"),
    *("{% for i in range(3) %}", "{% endfor %}", "{{ undefined }}", "{{ vars.missing }}"),
    *("{{ vars.webhook_host }}", "{{ 1/0 }}", "{{ '\\n' }}", "{{ 'x' * 40 }}", "{{ i }}"),
    *("{#", "#}", "{# note #}", "{% raw %}", "{% endraw %}", "{% set x = 1 %}", "{{ env }}"),
    *("{%- if true -%}", "{{ getenv('SCHEMACTL_FUZZ_UNSET') }}", "{{ '[' }}", "{{ ':' }}"),
    *("\ufeff", "\r", "\r\n", "\t", "\x85", "\u2028", "\x00", "\x1b", "é", "🎉", "\u200b"),
    *("&a ", "*a", "<<: *a", "!!binary ", "!!timestamp ", "!custom ", "!!python/object ", "- "),
    *(": ", ", ", "{", "}", "[", "]", "'", '"', "#", "? ", "|", ">", "---\n", "...\n"),
    *("%YAML 1.1\n", "~", "null", "true", "1e400", "0x", "\\", '"\\ud800"', '"\\x00"'),
    *("{ref: objects/nowhere}", "renamed_from: x", "type: numbr", "  ", "\n"),
)
INVALID_UTF8 = (b"\xff", b"\xfe\xff", b"\xc3", b"\xe9", b"\x80", b"\xed\xa0\x80", b"\xf4\x90\x80")


def _lines_op(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    operation = draw(st.sampled_from(["duplicate", "swap", "indent", "dedent", "tab"]))
    if operation == "duplicate":
        lines.insert(i, lines[j])
    elif operation == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif operation == "indent":
        lines[i] = " " * draw(st.integers(1, 3)) + lines[i]
    elif operation == "dedent":
        lines[i] = lines[i][draw(st.integers(1, 3)) :]
    else:
        lines[i] = "\t" + lines[i].lstrip(" ")
    return "\n".join(lines)


@st.composite
def mutated_texts(draw: st.DrawFn, seeds: Sequence[str]) -> bytes:
    """One of `seeds`, changed one to four times (cut, spliced with FRAGMENTS or random
    characters, lines duplicated, swapped or re-indented), then maybe broken as UTF-8."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        operation = draw(st.sampled_from(["cut", "insert", "random", "delete", "lines"]))
        if operation == "cut":
            text = text[:at]
        elif operation == "insert":
            text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
        elif operation == "random":
            text = text[:at] + draw(st.text(max_size=6)) + text[at:]
        elif operation == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 30)) :]
        else:
            text = _lines_op(draw, text)
    raw = (text).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from(INVALID_UTF8)) + raw[at:]
    return raw


# --- positions ----------------------------------------------------------------------------------

# An editor breaks lines at CR LF, CR and LF; YAML (and so the parser's marks) also at NEL, LS
# and PS. A position is inside a file when it is inside under either way of counting.
_LINE_BREAKS = (re.compile(r"\r\n|\r|\n"), re.compile("\r\n|[\r\n\x85\u2028\u2029]"))


def source_text(raw: bytes) -> str:
    """The text positions are counted in: UTF-8 (undecodable bytes as one character each, as
    the loader counts them), without a leading byte-order mark."""
    return raw.decode("utf-8", errors="replace").removeprefix("\ufeff")


def inside(text: str, line: int, column: int) -> bool:
    """Whether 1-based (line, column) is a place in `text`, the end of a line included."""
    for breaks in _LINE_BREAKS:
        lines = breaks.split(text)
        if 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1:
            return True
    return False


def check_diagnostics(diagnostics: list[Diagnostic], files: Mapping[str, bytes]) -> None:
    """Each diagnostic names one of `files` (shown name -> bytes), at a place inside it, on one
    line with a message."""
    assert diagnostics, "an error without any problem listed"
    for diagnostic in diagnostics:
        location = diagnostic.location
        assert location.file in files, f"{diagnostic}: not one of {sorted(files)}"
        text = source_text(files[location.file])
        assert inside(text, location.line, location.column), f"{diagnostic}: outside the file"
        shown = str(diagnostic)
        assert len(shown.splitlines()) == 1, f"not one line: {shown!r}"
        assert diagnostic.message.strip(), f"no message: {shown!r}"


_POSITION = re.compile(r"(\d+):(\d+): \S")


def check_error_lines(stderr: str, files: Mapping[str, bytes]) -> None:
    """stderr of a failed run: at least one line; either every line is `FILE:LINE:COL: message`
    for one of `files`, inside it, or there is exactly one free-form line."""
    lines = stderr.splitlines()
    assert lines and all(line.strip() for line in lines), f"no message, or blank lines: {stderr!r}"
    located = [line for line in lines if any(line.startswith(f"{name}:") for name in files)]
    if not located:
        assert len(lines) == 1, f"several lines, none located:\n{stderr}"
        return
    assert located == lines, f"located and unlocated lines mixed:\n{stderr}"
    for line in lines:
        name = max((n for n in files if line.startswith(f"{n}:")), key=len)
        position = _POSITION.match(line, len(name) + 1)
        assert position, f"not FILE:LINE:COL: message: {line!r}"
        row, column = int(position.group(1)), int(position.group(2))
        assert inside(source_text(files[name]), row, column), f"outside {name}: {line!r}"


# --- exit codes -------------------------------------------------------------------------------

# 64 is a usage error; a project's files never cause one, except that the environment's name is
# part of the command line: an unknown `-e NAME`, or none chosen where several exist
# (docs/cli.md, "validate").
ENVIRONMENT_USAGE = re.compile(r"^(unknown environment '|choose an environment with -e)")


def check_run(run: Run, files: Mapping[str, bytes], *, command: str) -> None:
    """The outcome of `schemactl COMMAND`: a documented exit code and a proper message."""
    # `schemactl()` already refused any traceback or "internal error".
    if run.exit_code == 0:
        return
    if run.exit_code == 64:
        assert ENVIRONMENT_USAGE.match(run.stderr), f"exit 64 for a non-usage error: {run}"
        assert len(run.stderr.splitlines()) == 1, run
        return
    assert run.exit_code == 1, f"exit {run.exit_code}: {run}"
    if command == "validate":
        assert run.stdout == "", f"validate printed on stdout when it failed: {run.stdout!r}"
    check_error_lines(run.stderr, files)


# --- the project and its workspace ----------------------------------------------------------


def tree(root: Path) -> dict[str, str]:
    """Every file under `root` (relative path -> sha256 of its bytes)."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@dataclass(frozen=True)
class Snapshot:
    """A workspace as stored: its SQLite file's bytes and what the emulator says it holds."""

    digest: str
    state: Any


def snapshot(db: Path) -> Snapshot:
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with live_workspace(db) as live:
        response = live.http.get("/_emulator/state")
        assert response.status_code == 200, response.text
        state = response.json()["data"]
    return Snapshot(digest, state)


@dataclass(frozen=True, repr=False)
class PreparedWorkspace:
    """A workspace file with RICH_MANIFEST applied, and its snapshot."""

    db: Path
    before: Snapshot

    def __repr__(self) -> str:  # hypothesis shows it with every failing example: keep it short
        return f"PreparedWorkspace({self.db.name}, {self.before.digest[:12]})"

    def copy_to(self, destination: Path) -> None:
        shutil.copyfile(self.db, destination)


@pytest.fixture(scope="session")
def prepared_workspace(tmp_path_factory: pytest.TempPathFactory) -> PreparedWorkspace:
    """RICH_MANIFEST applied (dev) with the real CLI, so plans see renames, updates, archives."""
    root = tmp_path_factory.mktemp("prepared")
    (root / "manifests").mkdir()
    (root / "manifests" / "rich.yaml").write_text(RICH_MANIFEST, encoding="utf-8")
    (root / "schemactl.yaml").write_text(
        "version: 1\nenvironments:\n  dev:\n    workspace: local:ws.db\n"
        "    vars: {webhook_host: hooks.example.com}\n",
        encoding="utf-8",
    )
    run = schemactl("-C", root, "apply", "--auto-approve")
    assert run.exit_code == 0, run
    return PreparedWorkspace(root / "ws.db", snapshot(root / "ws.db"))


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """No ambient variables; work in tmp_path so files are shown by short relative names."""
    for name in AMBIENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def reset_directory(directory: Path) -> None:
    """An empty `directory` (each example starts from nothing)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
