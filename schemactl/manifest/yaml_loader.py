"""Safe YAML loading that keeps file:line:col for every key and value.

PyYAML composes the text into nodes; we build plain data from the nodes ourselves so that we can
reject duplicate keys and unknown tags, bound alias expansion, and record where every value came
from. Scalars follow YAML 1.2's core schema: `yes`, `on` and `1:30` stay strings, as users expect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from schemactl.errors import Diagnostic, Location, ManifestError

MAX_FILE_BYTES = 5 * 1024 * 1024
# A legitimate manifest reuses anchors a handful of times; an alias bomb multiplies them.
MAX_ALIAS_EXPANDED_NODES = 10_000
MAX_NODES = 1_000_000
MAX_DEPTH = 64

KeyPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP, _MERGE = f"{_TAG}seq", f"{_TAG}map", f"{_TAG}merge"


class _CoreSchemaLoader(yaml.SafeLoader):
    """SafeLoader whose implicit scalar resolution is YAML 1.2 core schema, not YAML 1.1."""


_CoreSchemaLoader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    (_BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (_NULL, r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    (_INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        _FLOAT,
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    (_MERGE, r"^<<$", "<"),
):
    _CoreSchemaLoader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


@dataclass
class Document:
    """A loaded YAML file: plain data plus the location of every key and value in it."""

    file: str
    data: Any
    key_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    value_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def location(self, path: KeyPath, *, at_key: bool = False) -> Location:
        """Where `path` is written; the nearest enclosing item when it is absent (e.g. missing)."""
        marks = self.key_marks if at_key else self.value_marks
        probe = tuple(path)
        while probe:
            if probe in marks:
                return Location(self.file, *marks[probe])
            if not at_key and probe in self.key_marks:
                return Location(self.file, *self.key_marks[probe])
            probe = probe[:-1]
        line, column = self.value_marks.get((), (1, 1))
        return Location(self.file, line, column)


def format_key_path(path: KeyPath) -> str:
    """`objects.projects.attributes[2]` style text for a key path."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(text: str, file: str) -> Document:
    """Parse one YAML document into data with marks; raise ManifestError with a location."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise ManifestError(
            [
                Diagnostic(
                    Location(file),
                    f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte manifest limit",
                )
            ]
        )
    loader = _CoreSchemaLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise ManifestError([_syntax_diagnostic(exc, file)]) from None
    except yaml.YAMLError as exc:
        raise ManifestError([Diagnostic(Location(file), f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise ManifestError(
            [Diagnostic(Location(file), "YAML is nested too deeply to be a manifest")]
        ) from None
    finally:
        loader.dispose()
    document = Document(file=file, data=None)
    if root is None:
        return document
    builder = _Builder(document)
    document.data = builder.build(root, (), depth=0, expanding_alias=False)
    return document


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, file: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark and "<stream end>" in (exc.problem or ""):
        # "Unclosed [ at end of file" is best shown where the unclosed thing starts.
        mark = exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    context = f" ({exc.context})" if exc.context and exc.context_mark else ""
    return Diagnostic(Location(file, line, column), f"YAML syntax error: {problem}{context}")


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns composed nodes into plain data, enforcing the limits and recording marks."""

    def __init__(self, document: Document):
        self.document = document
        self.seen: set[int] = set()
        self.nodes = 0
        self.alias_nodes = 0

    def fail(self, node: Node, message: str) -> ManifestError:
        return ManifestError([Diagnostic(Location(self.document.file, *_mark(node)), message)])

    def build(self, node: Node, path: KeyPath, depth: int, expanding_alias: bool) -> Any:
        if id(node) in self.seen and isinstance(node, MappingNode | SequenceNode):
            expanding_alias = True
        self.seen.add(id(node))
        self.nodes += 1
        if expanding_alias:
            self.alias_nodes += 1
        if self.alias_nodes > MAX_ALIAS_EXPANDED_NODES:
            raise self.fail(
                node,
                f"YAML aliases expand to more than {MAX_ALIAS_EXPANDED_NODES:,} nodes "
                "(an alias bomb?); write the repeated parts out or use fewer aliases",
            )
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"YAML has more than {MAX_NODES:,} nodes")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"YAML is nested more than {MAX_DEPTH} levels deep")
        self.document.value_marks.setdefault(path, _mark(node))
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            self.check_tag(node, _SEQ)
            return [
                self.build(item, (*path, index), depth + 1, expanding_alias)
                for index, item in enumerate(node.value)
            ]
        self.check_tag(node, _MAP)
        return self.mapping(node, path, depth, expanding_alias)

    def check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            raise self.fail(node, f"YAML tag '{node.tag}' is not allowed in a manifest")

    def scalar(self, node: ScalarNode) -> Any:
        value, tag = node.value, node.tag
        if tag == _STR:
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value.lower() == "true"
        if tag == _INT:
            if value.startswith("0x"):
                return int(value[2:], 16)
            if value.startswith("0o"):
                return int(value[2:], 8)
            return int(value, 10)
        if tag == _FLOAT:
            lowered = value.lower().lstrip("+")
            if lowered in (".inf", "-.inf", ".nan"):
                return float(lowered.replace(".", ""))
            return float(value)
        raise self.fail(node, f"YAML tag '{tag}' is not allowed in a manifest")

    def mapping(
        self, node: MappingNode, path: KeyPath, depth: int, expanding_alias: bool
    ) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        explicit_keys: dict[Any, Node] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                merged.update(self.merge_sources(value_node, path, depth, expanding_alias))
                continue
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain values, not lists or maps")
            key = self.scalar(key_node)
            if isinstance(key, float | bool) or key is None:
                key = key_node.value  # `1.0:` or `null:` as a key means the text, not the value
            if key in explicit_keys:
                line, column = _mark(explicit_keys[key])
                raise self.fail(
                    key_node,
                    f"duplicate key '{key}' (first defined at line {line}, column {column})",
                )
            explicit_keys[key] = key_node
            child_path = (*path, key)
            self.document.key_marks[child_path] = _mark(key_node)
            result[key] = self.build(value_node, child_path, depth + 1, expanding_alias)
        # Keys written in this mapping win over keys brought in by `<<`, as YAML's merge key says.
        return {**{k: v for k, v in merged.items() if k not in result}, **result}

    def merge_sources(
        self, value_node: Node, path: KeyPath, depth: int, expanding_alias: bool
    ) -> dict[Any, Any]:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        merged: dict[Any, Any] = {}
        for source in reversed(sources):  # earlier sources take precedence
            if not isinstance(source, MappingNode):
                raise self.fail(source, "'<<' merges only maps")
            merged.update(self.build(source, path, depth + 1, expanding_alias=True))
        return merged
