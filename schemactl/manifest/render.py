"""Render manifest templates with Jinja2 in a sandbox, failing on anything undefined.

The sandbox and its limits are in sandbox.py: a manifest may come from anyone who can open a
pull request, so rendering it must not run code, read files or exhaust the machine.
"""

from __future__ import annotations

import os
import re
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SecurityError

from schemactl.errors import Diagnostic, Location, ManifestError
from schemactl.manifest.sandbox import FILE_TAGS, GuardedEnvironment, Instrument
from schemactl.manifest.template_limits import MAX_VALUE_SIZE, Guard, TemplateLimitError
from schemactl.manifest.yaml_loader import MAX_FILE_BYTES

_NO_DEFAULT = object()
# Always refused to getenv(), whatever the project's token_env names say.
ALWAYS_PROTECTED_VARIABLES = frozenset({"ATTIO_API_TOKEN"})


class _MissingVariable(Exception):
    """`getenv(NAME)` named an unset variable and gave no default."""


def _make_getenv(protected: frozenset[str]) -> Callable[..., Any]:
    def getenv(name: str, default: Any = _NO_DEFAULT) -> Any:
        """Template function: an environment variable, or `default`; unset and no default fails."""
        if name in protected:
            # A token read into a manifest could end up in a webhook URL, a plan or a log.
            raise _MissingVariable(
                f"getenv() cannot read {name}: it holds an Attio API token, "
                "which never belongs in a manifest"
            )
        value = os.environ.get(name)
        if value is not None:
            return value
        if default is _NO_DEFAULT:
            raise _MissingVariable(
                f"environment variable {name} is not set and getenv() was given no default"
            )
        return default

    return getenv


def _refuse_file_tags(tree: nodes.Template, text: str, file: str) -> None:
    """Templates are single files: `include`, `import` and `extends` would read others."""
    for node in tree.find_all(tuple(FILE_TAGS)):
        tag = FILE_TAGS[type(node)]
        message = (
            f"'{{% {tag} %}}' is not allowed: a manifest template cannot read other files; "
            "use a macro in the same file, or split the manifest into several files"
        )
        raise ManifestError([Diagnostic(_locate(text, file, node.lineno, None), message)])


def render(
    text: str,
    file: str,
    *,
    variables: Mapping[str, Any],
    environment: str,
    protected_variables: frozenset[str] = frozenset(),
) -> str:
    """Render one manifest's text; any template problem becomes a located ManifestError.

    `protected_variables` name environment variables getenv() must refuse (API tokens).
    """
    guard = Guard()
    env = GuardedEnvironment(guard)
    try:
        tree = env.parse(text)
        _refuse_file_tags(tree, text, file)
        template = env.from_string(Instrument().visit(tree))
        template.filename = file
        getenv = _make_getenv(ALWAYS_PROTECTED_VARIABLES | protected_variables)
        context = {"vars": dict(variables), "env": environment, "getenv": getenv}
        if guard.size(context["vars"]) > MAX_VALUE_SIZE:
            message = f"the environment's vars are over {MAX_VALUE_SIZE:,} characters long"
            raise ManifestError([Diagnostic(Location(file), message)])
        pieces: list[str] = []
        size = 0
        # Generate piecewise so a runaway loop is stopped at the size cap, not after eating memory.
        for piece in template.generate(context):
            size += len(piece.encode("utf-8", errors="surrogatepass"))
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
    except (
        jinja2.UndefinedError,
        SecurityError,
        _MissingVariable,
        jinja2.TemplateError,
        TemplateLimitError,
    ) as exc:
        line = _template_line(exc, file)
        message = _describe(exc, _line(text, line))
        raise ManifestError([Diagnostic(_locate(text, file, line, exc), message)]) from None
    except RecursionError as exc:
        line = _template_line(exc, file)
        message = "template is nested or recurses too deeply"
        raise ManifestError([Diagnostic(_locate(text, file, line, None), message)]) from None
    except MemoryError:
        message = "template needs more memory than is available"
        raise ManifestError([Diagnostic(Location(file), message)]) from None
    except Exception as exc:  # a template's own arithmetic or filter failing, e.g. 1/0
        line = _template_line(exc, file)
        message = f"template error: {type(exc).__name__}: {exc}"
        raise ManifestError([Diagnostic(_locate(text, file, line, exc), message)]) from None


_MISSING_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'")


def _written_attribute(exc: BaseException, source_line: str) -> re.Match[str] | None:
    """For "'dict object' has no attribute 'x'": where the user wrote `vars.x` (or vars['x'])."""
    if not isinstance(exc, jinja2.UndefinedError):
        return None
    missing = _MISSING_ATTRIBUTE.search(exc.message or "")
    if not missing:
        return None
    name = re.escape(missing.group(1))
    return re.search(rf"[A-Za-z_][\w.]*(?:\.{name}\b|\[\s*['\"]{name}['\"]\s*\])", source_line)


def _describe(exc: Exception, source_line: str) -> str:
    if isinstance(exc, SecurityError):
        return f"template tried something the sandbox forbids: {exc}"
    if isinstance(exc, jinja2.UndefinedError):
        written = _written_attribute(exc, source_line)
        if written:
            return f"undefined template variable: '{written.group(0)}' is not defined"
        return f"undefined template variable: {exc.message}"
    if isinstance(exc, _MissingVariable | TemplateLimitError):
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


def _line(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _locate(text: str, file: str, line: int, exc: BaseException | None) -> Location:
    """A column for the error: the undefined name in the line if we can see it, else the tag."""
    source = _line(text, line)
    tags = [i for i in (source.find("{{"), source.find("{%")) if i >= 0]
    first_tag = min(tags, default=0)
    if exc is not None:
        # The name is looked for inside the template code, not in the YAML around it.
        for candidate in reversed(_NAME_IN_MESSAGE.findall(str(exc))):
            found = source.find(candidate, first_tag)
            if found >= 0:
                return Location(file, line, found + 1)
    return Location(file, line, first_tag + 1)
