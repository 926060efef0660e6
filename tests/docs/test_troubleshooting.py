"""docs/troubleshooting.md covers every exit code, Attio error code and schemactl error class.

What must be covered is collected from the code, so new ones are picked up without editing
this test:

- exit codes: every `EXIT_*` integer constant of `schemactl.cli.main`, listed in the first
  column of the table (header `| exit code | …`) in the section "Exit codes";
- Attio error codes: every `code` the emulator can answer with, found by parsing
  `schemactl/emulator/**/*.py`: the `code` argument of each `ApiError(status, code, …)` call
  (string literals, including both arms of a conditional), and, where a function passes its own
  parameter on as the code, the literal arguments of every call to that function. Each needs a
  heading holding a code span `STATUS CODE` (e.g. ``### `409 slug_conflict` ``), or just
  `CODE` when the status is not a literal;
- error classes: every subclass of `SchemactlError` defined in `schemactl` (all its modules are
  imported), listed in the table (header `| error class | import from | explained in |`) in the
  section "Error classes", importable from the module named, and linked to a section of the page.

Every link of the page to a heading (`#anchor`, `other.md#anchor`) must also resolve.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import schemactl
from schemactl.errors import SchemactlError
from tests.docs import DOCS, Section, code_spans, read_doc, sections

DOC = "troubleshooting.md"
PACKAGE = Path(schemactl.__file__).resolve().parent
EMULATOR = PACKAGE / "emulator"
_LINK = re.compile(r"\]\(([^)\s]*)\)")


# --- what the code has ------------------------------------------------------------------------


def exit_codes() -> dict[str, int]:
    main = importlib.import_module("schemactl.cli.main")
    return {
        name: value
        for name, value in vars(main).items()
        if name.startswith("EXIT_") and isinstance(value, int) and not isinstance(value, bool)
    }


@dataclass(frozen=True)
class ErrorCode:
    """An Attio error code the emulator answers with; `status` is None when not a literal."""

    status: int | None
    code: str
    where: str


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    if len(call.args) > index and not any(isinstance(a, ast.Starred) for a in call.args[:index]):
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _strings(node: ast.expr | None) -> list[str]:
    """The string literals `node` can evaluate to: a constant, or the arms of `a if c else b`
    and of `a or b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [s for value in node.values for s in _strings(value)]
    return []


def _status(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


class _Collector(ast.NodeVisitor):
    """ApiError calls, and functions that pass a parameter of theirs on as the code."""

    def __init__(self, where: str):
        self.where = where
        self.found: list[ErrorCode] = []
        # function name -> (status, position and name of the parameter passed on as the code)
        self.forwarders: dict[str, tuple[int | None, int, str]] = {}
        self._functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._functions.append(node)
        self.generic_visit(node)
        self._functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        if _called_name(node) == "ApiError":
            status = _status(_argument(node, 0, "status"))
            code_node = _argument(node, 1, "code")
            place = f"{self.where}:{node.lineno}"
            codes = _strings(code_node)
            self.found.extend(ErrorCode(status, code, place) for code in codes)
            if not codes and isinstance(code_node, ast.Name) and self._functions:
                function = self._functions[-1]
                names = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
                if code_node.id in names:
                    position = names.index(code_node.id)
                    self.forwarders[function.name] = (status, position, code_node.id)
        self.generic_visit(node)


def collect_error_codes(sources: dict[str, str]) -> list[ErrorCode]:
    """The error codes in `sources` (file name -> Python source)."""
    trees = {where: ast.parse(text) for where, text in sources.items()}
    found: list[ErrorCode] = []
    forwarders: dict[str, tuple[int | None, int, str]] = {}
    for where, tree in trees.items():
        collector = _Collector(where)
        collector.visit(tree)
        found.extend(collector.found)
        forwarders.update(collector.forwarders)
    for where, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _called_name(node) in forwarders:
                status, position, name = forwarders[_called_name(node) or ""]
                for code in _strings(_argument(node, position, name)):
                    found.append(ErrorCode(status, code, f"{where}:{node.lineno}"))
    return found


@cache
def emulator_error_codes() -> list[ErrorCode]:
    return collect_error_codes(
        {
            path.relative_to(PACKAGE.parent).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(EMULATOR.rglob("*.py"))
        }
    )


@cache
def error_classes() -> list[type[SchemactlError]]:
    """SchemactlError and every subclass of it defined in schemactl, each module imported."""
    # The command modules can only be imported after the group that registers them.
    importlib.import_module("schemactl.cli.main")
    for module in pkgutil.walk_packages([str(PACKAGE)], prefix="schemactl."):
        if module.name.rsplit(".", 1)[-1] != "__main__":
            importlib.import_module(module.name)
    found: list[type[SchemactlError]] = []
    pending: list[type[SchemactlError]] = [SchemactlError]
    while pending:
        cls = pending.pop(0)
        if cls not in found and cls.__module__.split(".")[0] == "schemactl":
            found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


# --- what the page has -----------------------------------------------------------------------


def github_anchor(title: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for section in sections(markdown):
        anchor = github_anchor(section.title)
        count = seen.get(anchor, 0)
        seen[anchor] = count + 1
        found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def page_sections() -> list[Section]:
    return sections(read_doc(DOC))


def section(title: str) -> Section:
    found = next((s for s in page_sections() if s.title == title), None)
    assert found is not None, f"docs/{DOC} has no section titled {title!r}"
    return found


def documented_codes() -> set[tuple[int | None, str]]:
    """(status, code) from headings' code spans `STATUS CODE`; (None, code) from any span."""
    found: set[tuple[int | None, str]] = set()
    for heading in page_sections():
        for span in code_spans(heading.title):
            words = span.split()
            if len(words) == 2 and words[0].isdigit():
                found.add((int(words[0]), words[1]))
            found.update((None, word) for word in words if not word.isdigit())
    return found


# --- the tests -------------------------------------------------------------------------------


def test_the_code_collector_reads_calls_conditionals_and_helpers() -> None:
    sources = {
        "helpers.py": "def conflict(message, reason):\n"
        "    return ApiError(409, reason, message)\n"
        "def fault(status):\n"
        "    raise errors.ApiError(status, 'a' if status == 500 else 'b', 'm')\n",
        "use.py": "errors.conflict('m', 'positional')\n"
        "conflict(message='m', reason='by_keyword')\n"
        "ApiError(status=418, code='teapot', message='x')\n",
    }
    found = {(e.status, e.code) for e in collect_error_codes(sources)}
    assert found == {
        (409, "positional"),
        (409, "by_keyword"),
        (None, "a"),
        (None, "b"),
        (418, "teapot"),
    }


def test_the_collectors_find_what_they_look_for() -> None:
    """Guards the test itself: a refactor that hides the codes must not make it pass vacuously."""
    codes = {e.code for e in emulator_error_codes()}
    assert {"validation_type", "not_found", "slug_conflict", "unauthorized"} <= codes, codes
    assert len(error_classes()) > 10
    assert set(exit_codes().values()) >= {0, 1, 64}


def test_every_exit_code_is_explained() -> None:
    table = next(
        (t for t in section("Exit codes").tables() if t.header[0].strip().lower() == "exit code"),
        None,
    )
    assert table is not None, f"docs/{DOC}, section 'Exit codes', needs a table `| exit code | …`"
    listed = {span for row in table.rows for span in code_spans(row[0])}
    codes = exit_codes()
    missing = [f"`{value}` ({name})" for name, value in codes.items() if str(value) not in listed]
    extra = sorted(listed - {str(v) for v in codes.values()})
    assert not missing and not extra, (
        f"docs/{DOC}, section '## Exit codes': the table must list each exit code of "
        "schemactl/cli/main.py exactly:"
        + (f"\n  missing: {', '.join(missing)}" if missing else "")
        + (f"\n  not an exit code: {', '.join(extra)}" if extra else "")
    )


ATTIO_CODES = sorted(
    {(e.status, e.code) for e in emulator_error_codes()}, key=lambda p: (p[0] or 0, p[1])
)


@pytest.mark.parametrize(
    "status,code",
    ATTIO_CODES,
    ids=[f"{status} {code}" if status else code for status, code in ATTIO_CODES],
)
def test_every_attio_error_code_has_a_section(status: int | None, code: str) -> None:
    if (status, code) in documented_codes():
        return
    where = ", ".join(
        sorted({e.where for e in emulator_error_codes() if (e.status, e.code) == (status, code)})
    )
    shown = f"{status} {code}" if status is not None else code
    raise AssertionError(
        f"docs/{DOC} has no section for Attio's `{shown}` (answered by the emulator at "
        f"{where}): add a heading '### `{shown}`' under '## Errors from Attio', with an "
        "example message, what it means, and what to do"
    )


def test_every_error_class_is_mapped_to_a_section() -> None:
    table = next(
        (
            t
            for t in section("Error classes").tables()
            if t.header[0].strip().lower() == "error class"
        ),
        None,
    )
    assert table is not None, (
        f"docs/{DOC}, section 'Error classes', needs a table "
        "`| error class | import from | explained in |`"
    )
    page_anchors = anchors(read_doc(DOC))
    rows = {code_spans(row[0])[0]: row for row in table.rows if code_spans(row[0])}
    problems: list[str] = []
    for cls in error_classes():
        if cls.__name__ not in rows:
            doc = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
            problems.append(
                f"`{cls.__name__}` ({cls.__module__}: {doc}) is missing: add a row "
                f"`| `{cls.__name__}` | `{cls.__module__}` | [section](#anchor) |` and a section "
                "explaining its messages"
            )
    known = {cls.__name__: cls for cls in error_classes()}
    for name, row in rows.items():
        if name not in known:
            problems.append(f"`{name}` is listed but no such SchemactlError subclass exists")
            continue
        module = next(iter(code_spans(row[1])), "") if len(row) > 1 else ""
        try:
            imported = getattr(importlib.import_module(module), name, None)
        except ImportError:
            imported = None
        if imported is not known[name]:
            problems.append(
                f"`{name}` cannot be imported from `{module}` (it is defined in "
                f"`{known[name].__module__}`)"
            )
        links = [link.removeprefix("#") for link in _LINK.findall(row[-1])]
        if not links:
            problems.append(f"`{name}`: link the section that explains it, e.g. [Title](#title)")
        problems += [
            f"`{name}` links to #{link}, which is no heading of the page"
            for link in links
            if link not in page_anchors
        ]
    assert not problems, f"docs/{DOC}, section '## Error classes':\n  " + "\n  ".join(problems)


def test_links_to_headings_resolve() -> None:
    text = read_doc(DOC)
    broken: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        for target in _LINK.findall(line):
            if "://" in target or target.startswith("mailto:"):
                continue
            page, _, anchor = target.partition("#")
            if page and not (DOCS / page).is_file():
                broken.append(f"line {number}: {target} (no file docs/{page})")
            elif anchor and anchor not in anchors(read_doc(page) if page else text):
                broken.append(f"line {number}: {target} (no such heading)")
    assert not broken, f"docs/{DOC} has broken links:\n  " + "\n  ".join(broken)
