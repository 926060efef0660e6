"""Safe YAML loading that keeps file:line:col for every key and value.

PyYAML composes the text into nodes; we build plain data from the nodes ourselves so that we can
reject duplicate keys and unknown tags, bound alias expansion, and record where every value came
from. Scalars follow YAML 1.2's core schema: `yes`, `on` and `1:30` stay strings, as users expect.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from schemactl.errors import Diagnostic, Location, ManifestError

MAX_FILE_BYTES = 5 * 1024 * 1024
# A legitimate manifest reuses anchors a handful of times; an alias bomb multiplies them.
MAX_ALIAS_EXPANDED_NODES = 10_000
MAX_NODES = 1_000_000
MAX_DEPTH = 64

KeyPath = tuple[str | int, ...]
# Maps a (line, column) in the parsed text to the same place in the file the user wrote.
PositionMap = Callable[[int, int], tuple[int, int]]

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP, _MERGE = f"{_TAG}seq", f"{_TAG}map", f"{_TAG}merge"


class _CoreSchemaLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars, whose aliases remember where they stand."""

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if not self.check_event(AliasEvent):
            return super().compose_node(parent, index)
        alias_mark = self.peek_event().start_mark
        anchored = super().compose_node(parent, index)
        # A shallow copy shares the anchored children (so expansion stays lazy) but carries the
        # alias's own position, for errors about the alias and its expansion.
        alias = copy.copy(anchored)
        alias.start_mark = alias_mark
        alias.is_alias = True  # type: ignore[attr-defined]
        return alias


_SCALAR_PATTERNS: dict[str, re.Pattern[str]] = {
    _BOOL: re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    _NULL: re.compile(r"^(?:~|null|Null|NULL|)$"),
    _INT: re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    _FLOAT: re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
}


def reads_as_non_string(text: str) -> bool:
    """Whether `text`, written as a plain YAML scalar, would load as something else."""
    return text == "<<" or any(p.match(text) for p in _SCALAR_PATTERNS.values())


_CoreSchemaLoader.yaml_implicit_resolvers = {}
for _tag, _first in (
    (_BOOL, "tTfF"),
    (_NULL, ["~", "n", "N", ""]),
    (_INT, "-+0123456789"),
    (_FLOAT, "-+0123456789."),
):
    _CoreSchemaLoader.add_implicit_resolver(_tag, _SCALAR_PATTERNS[_tag], list(_first))
_CoreSchemaLoader.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])


@dataclass
class Document:
    """A loaded YAML file: plain data plus the location of every key and value in it."""

    file: str
    data: Any
    key_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    value_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    position_map: PositionMap | None = None

    def location(self, path: KeyPath, *, at_key: bool = False) -> Location:
        """Where `path` is written; the nearest enclosing item when it is absent (e.g. missing)."""
        marks = self.key_marks if at_key else self.value_marks
        probe = tuple(path)
        position = self.value_marks.get((), (1, 1))
        while probe:
            if probe in marks:
                position = marks[probe]
                break
            if not at_key and probe in self.key_marks:
                position = self.key_marks[probe]
                break
            probe = probe[:-1]
        return self.located(*position)

    def located(self, line: int, column: int) -> Location:
        """A Location in the user's file for a position in the parsed text."""
        if self.position_map is not None:
            line, column = self.position_map(line, column)
        return Location(self.file, line, column)


def format_key_path(path: KeyPath) -> str:
    """`objects.projects.attributes[2]` style text for a key path."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(text: str, file: str, position_map: PositionMap | None = None) -> Document:
    """Parse one YAML document into data with marks; raise ManifestError with a location.

    `position_map` translates positions when `text` was rendered from a template.
    """
    document = Document(file=file, data=None, position_map=position_map)
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
    try:
        loader = _CoreSchemaLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. NUL
        raise ManifestError([_reader_diagnostic(exc, text, document)]) from None
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise ManifestError([_syntax_diagnostic(exc, document)]) from None
    except yaml.YAMLError as exc:
        raise ManifestError([Diagnostic(Location(file), f"invalid YAML: {exc}")]) from None
    except RecursionError:
        raise ManifestError(
            [Diagnostic(Location(file), "YAML is nested too deeply to be a manifest")]
        ) from None
    finally:
        loader.dispose()
    if root is None:
        return document
    builder = _Builder(document)
    document.data = builder.build(root, (), depth=0, alias=None)
    return document


def decode_utf8(raw: bytes, file: str) -> str:
    """A file's bytes as text; invalid UTF-8 is a ManifestError at its line and column."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        # Columns count characters, as an editor shows them, not bytes.
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise ManifestError(
            [Diagnostic(Location(file, line, column), "file is not valid UTF-8 text")]
        ) from None


def _reader_diagnostic(exc: yaml.reader.ReaderError, text: str, document: Document) -> Diagnostic:
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    message = f"character {character!a} is not allowed in YAML"
    return Diagnostic(document.located(line, column), message)


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, document: Document) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    problem_text = exc.problem or ""
    if exc.context_mark and ("<stream end>" in problem_text or "end of stream" in problem_text):
        # "Unclosed [ or quote at end of file" is best shown where the unclosed thing starts.
        mark = exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    if exc.context and exc.context_mark and problem.startswith("but "):
        # PyYAML splits "expected X, but found Y" into a context and a problem.
        text = f"{exc.context}, {problem}"
    elif exc.context and exc.context_mark:
        text = f"{problem} ({exc.context})"
    else:
        text = problem
    return Diagnostic(document.located(line, column), f"YAML syntax error: {text}")


def _show_tag(tag: str) -> str:
    """`tag:yaml.org,2002:python/object` as the user wrote it: `!!python/object`."""
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns composed nodes into plain data, enforcing the limits and recording marks."""

    def __init__(self, document: Document):
        self.document = document
        self.nodes = 0
        self.alias_nodes = 0
        self.merging = 0  # > 0 while building `<<` sources: their marks never replace others

    def fail(self, node: Node, message: str) -> ManifestError:
        return ManifestError([Diagnostic(self.document.located(*_mark(node)), message)])

    def build(self, node: Node, path: KeyPath, depth: int, alias: Node | None) -> Any:
        """Plain data for `node`; `alias` is the outermost alias being expanded, if any."""
        if alias is None and getattr(node, "is_alias", False):
            alias = node
        self.nodes += 1
        if alias is not None:
            self.alias_nodes += 1
        if self.alias_nodes > MAX_ALIAS_EXPANDED_NODES:
            raise self.fail(
                alias or node,
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
                self.build(item, (*path, index), depth + 1, alias)
                for index, item in enumerate(node.value)
            ]
        self.check_tag(node, _MAP)
        return self.mapping(node, path, depth, alias)

    def check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            raise self.fail(node, f"YAML tag '{_show_tag(node.tag)}' is not allowed in a manifest")

    def scalar(self, node: ScalarNode) -> Any:
        value, tag = node.value, node.tag
        if tag == _STR:
            return value
        if tag not in _SCALAR_PATTERNS:
            raise self.fail(node, f"YAML tag '{_show_tag(tag)}' is not allowed in a manifest")
        # An explicit tag (`!!int abc`) must still be a valid value of that type.
        if not _SCALAR_PATTERNS[tag].match(value):
            kind = tag.removeprefix(_TAG)
            raise self.fail(node, f"'{value}' is not a valid {kind}")
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
        lowered = value.lower().lstrip("+")
        if lowered in (".inf", "-.inf", ".nan"):
            return float(lowered.replace(".", ""))
        return float(value)

    def mapping(
        self, node: MappingNode, path: KeyPath, depth: int, alias: Node | None
    ) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        explicit_keys: dict[Any, Node] = {}
        merge_values: list[Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                merge_values.append(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "mapping keys must be plain values, not lists or maps")
            self.scalar(key_node)  # rejects a bad tag on a key
            key = key_node.value  # keys are text, as in JSON: `1:` and `null:` mean "1", "null"
            if key in explicit_keys:
                first = self.document.located(*_mark(explicit_keys[key]))
                message = (
                    f"duplicate key '{key}' (first defined at line {first.line}, "
                    f"column {first.column})"
                )
                raise self.fail(key_node, message)
            explicit_keys[key] = key_node
            child_path = (*path, key)
            self._mark_key(child_path, key_node)
            result[key] = self.build(value_node, child_path, depth + 1, alias)
        # Keys written in this mapping win over keys brought in by `<<`, as YAML's merge key says;
        # they were marked first, so merged keys never take over their marks.
        merged: dict[Any, Any] = {}
        for value_node in merge_values:
            merged.update(self.merge_sources(value_node, path, depth, alias))
        return {**{k: v for k, v in merged.items() if k not in result}, **result}

    def _mark_key(self, path: KeyPath, key_node: Node) -> None:
        if self.merging:
            self.document.key_marks.setdefault(path, _mark(key_node))
        else:
            self.document.key_marks[path] = _mark(key_node)

    def merge_sources(
        self, value_node: Node, path: KeyPath, depth: int, alias: Node | None
    ) -> dict[Any, Any]:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        merged: dict[Any, Any] = {}
        self.merging += 1
        try:
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise self.fail(source, "'<<' merges only maps")
                built = self.build(source, path, depth + 1, alias)
                # Earlier sources take precedence over later ones.
                merged.update({k: v for k, v in built.items() if k not in merged})
        finally:
            self.merging -= 1
        return merged
