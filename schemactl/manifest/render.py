"""Render manifest templates with Jinja2 in a sandbox, failing on anything undefined."""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from schemactl.errors import Diagnostic, Location, ManifestError
from schemactl.manifest.yaml_loader import MAX_FILE_BYTES

_NO_DEFAULT = object()


class _MissingVariable(Exception):
    """`getenv(NAME)` named an unset variable and gave no default."""


def _getenv(name: str, default: Any = _NO_DEFAULT) -> Any:
    """Template function: an OS environment variable, or `default`; unset and no default fails."""
    value = os.environ.get(name)
    if value is not None:
        return value
    if default is _NO_DEFAULT:
        raise _MissingVariable(
            f"environment variable {name} is not set and getenv() was given no default"
        )
    return default


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(text: str, file: str, *, variables: Mapping[str, Any], environment: str) -> str:
    """Render one manifest's text; any template problem becomes a located ManifestError."""
    env = _environment()
    try:
        template = env.from_string(text)
        template.filename = file
        context = {"vars": dict(variables), "env": environment, "getenv": _getenv}
        pieces: list[str] = []
        size = 0
        # Generate piecewise so a runaway loop is stopped at the size cap, not after eating memory.
        for piece in template.generate(context):
            size += len(piece)
            if size > MAX_FILE_BYTES:
                raise ManifestError(
                    [
                        Diagnostic(
                            Location(file),
                            f"rendered manifest exceeds the {MAX_FILE_BYTES:,}-byte limit",
                        )
                    ]
                )
            pieces.append(piece)
        return "".join(pieces)
    except ManifestError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        line = exc.lineno or 1
        message = f"template syntax error: {exc.message}"
        raise ManifestError([Diagnostic(_locate(text, file, line, None), message)]) from None
    except (jinja2.UndefinedError, SecurityError, _MissingVariable, jinja2.TemplateError) as exc:
        line = _template_line(exc, file)
        raise ManifestError([Diagnostic(_locate(text, file, line, exc), _describe(exc))]) from None
    except Exception as exc:  # a template's own arithmetic or filter failing, e.g. 1/0
        line = _template_line(exc, file)
        message = f"template error: {type(exc).__name__}: {exc}"
        raise ManifestError([Diagnostic(_locate(text, file, line, exc), message)]) from None


def _describe(exc: Exception) -> str:
    if isinstance(exc, SecurityError):
        return f"template tried something the sandbox forbids: {exc}"
    if isinstance(exc, jinja2.UndefinedError):
        return f"undefined template variable: {exc.message}"
    if isinstance(exc, _MissingVariable):
        return str(exc)
    return f"template error: {exc}"


def _template_line(exc: BaseException, file: str) -> int:
    """The template line an error came from; Jinja rewrites tracebacks to point into templates."""
    line = 1
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == file:
            line = lineno
    return line


_NAME_IN_MESSAGE = re.compile(r"'([^']+)'")


def _locate(text: str, file: str, line: int, exc: BaseException | None) -> Location:
    """A column for the error: the undefined name in the line if we can see it, else the tag."""
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    column = 0
    if exc is not None:
        for candidate in reversed(_NAME_IN_MESSAGE.findall(str(exc))):
            column = source.find(candidate) + 1
            if column:
                break
    if not column:
        column = min((i for i in (source.find("{{"), source.find("{%")) if i >= 0), default=0) + 1
    return Location(file, line, column)
