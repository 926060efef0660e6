"""The whole suite runs with a canary API token, and nothing may ever show a canary.

- For the session, SUITE_CANARY_TOKEN sits in its own variable, SUITE_TOKEN_VARIABLE, which
  every test and every subprocess inherits (projects under test name it in `token_env`).
  ATTIO_API_TOKEN is left alone on purpose: with no project file it would point a command at the
  real Attio.
- The canaries are that token and every token-like constant of the test modules (a name saying
  CANARY or ending in TOKEN, or a value saying canary), e.g. the end-to-end CANARY_TOKEN.
- A test that passes but whose captured stdout, stderr or log records hold a canary fails.
- When the session ends, every file the suite wrote under its temporary directory is read: no
  canary anywhere, and no webhook secret (as apply saved them) outside the secrets files that
  hold them and the emulated workspaces' own databases.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Generator, Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pytest

SUITE_TOKEN_VARIABLE = "SCHEMACTL_SUITE_TOKEN"
SUITE_CANARY_TOKEN = "suite-canary-token-8e41c07d2b"

_MAX_FILE_BYTES = 32 * 1024 * 1024
_VARIABLE_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
# An emulated workspace's SQLite files: they hold webhook secrets as Attio's servers do.
_SQLITE_HEADER = b"SQLite format 3\x00"
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
# What apply saves for each webhook (see SecretStore.save).
_SECRET_ENTRY = frozenset({"secret", "target_url", "captured_at"})
_CANARIES = pytest.StashKey[dict[str, str]]()
_SAVED_VARIABLE = pytest.StashKey[str | None]()


def find_leaks(sources: Mapping[str, str | bytes], needles: Mapping[str, str]) -> list[str]:
    """`"NEEDLE in SOURCE"` for every needle found in a source; never a needle's value."""
    found = []
    for where, text in sources.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
        found += [f"{name} in {where}" for name, value in needles.items() if value.encode() in data]
    return found


def tree_files(root: Path) -> dict[Path, bytes]:
    """Every regular file under `root` (symlinks not followed) and its bytes."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                with path.open("rb") as handle:
                    files[path] = handle.read(_MAX_FILE_BYTES)
    return files


def saved_secrets(data: bytes) -> list[str]:
    """The webhook secrets in a secrets file apply wrote (none if `data` is not one)."""
    try:
        saved = json.loads(data)
    except ValueError:
        return []
    if not isinstance(saved, dict) or not saved:
        return []
    entries = list(saved.values())
    if not all(isinstance(e, dict) and e.keys() >= _SECRET_ENTRY for e in entries):
        return []
    return [e["secret"] for e in entries]


def is_workspace_store(path: Path, data: bytes) -> bool:
    return data.startswith(_SQLITE_HEADER) or path.name.endswith(_SQLITE_SIDE_FILES)


def tree_leaks(root: Path, canaries: Mapping[str, str]) -> list[str]:
    """What under `root` shows a canary, or a webhook secret outside its secrets file."""
    files = tree_files(root)
    secrets_files = {path: saved_secrets(data) for path, data in files.items()}
    secrets = {
        f"webhook secret saved in {path.relative_to(root)}": secret
        for path, found in secrets_files.items()
        for secret in found
    }
    leaks = find_leaks({str(p.relative_to(root)): d for p, d in files.items()}, canaries)
    others = {
        str(path.relative_to(root)): data
        for path, data in files.items()
        if not secrets_files[path] and not is_workspace_store(path, data)
    }
    return leaks + find_leaks(others, secrets)


def known_canaries(modules: Iterable[ModuleType] = ()) -> dict[str, str]:
    """The canary tokens of `modules` and of the suite's packages, by `module.NAME`."""
    chosen = {m.__name__: m for m in modules}
    for name, module in list(sys.modules.items()):
        if name == "tests" or name.startswith("tests."):
            chosen[name] = module
    canaries = {}
    for module_name, module in chosen.items():
        for name, value in list(vars(module).items()):
            if (
                isinstance(value, str)
                and name.isupper()
                and len(value) >= 12
                and not _VARIABLE_NAME.fullmatch(value)
                and ("CANARY" in name or name.endswith("TOKEN") or "canary" in value.lower())
            ):
                canaries[f"{module_name}.{name}"] = value
    return canaries


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SAVED_VARIABLE] = os.environ.get(SUITE_TOKEN_VARIABLE)
    os.environ[SUITE_TOKEN_VARIABLE] = SUITE_CANARY_TOKEN


def pytest_unconfigure(config: pytest.Config) -> None:
    saved = config.stash.get(_SAVED_VARIABLE, None)
    if saved is None:
        os.environ.pop(SUITE_TOKEN_VARIABLE, None)
    else:
        os.environ[SUITE_TOKEN_VARIABLE] = saved


def pytest_collection_finish(session: pytest.Session) -> None:
    modules = {getattr(item, "module", None) for item in session.items}
    session.config.stash[_CANARIES] = known_canaries(m for m in modules if m is not None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.passed:
        canaries = item.config.stash.get(_CANARIES, {})
        # This phase's own sections: a teardown's report repeats those of the call.
        shown = {title: text for title, text in report.sections if title.endswith(report.when)}
        leaks = find_leaks(shown, canaries)
        if leaks:
            report.outcome = "failed"
            report.longrepr = "a canary token was shown: " + "; ".join(leaks)
    return report


@pytest.fixture(scope="session", autouse=True)
def _no_canary_in_what_the_suite_wrote(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """After the last test: no file the suite wrote shows a canary or a stray webhook secret."""
    yield
    canaries = known_canaries() | request.config.stash.get(_CANARIES, {})
    leaks = tree_leaks(tmp_path_factory.getbasetemp(), canaries)
    if leaks:
        pytest.fail("secrets written where they must not be: " + "; ".join(leaks), pytrace=False)
