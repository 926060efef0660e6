"""Map positions in a rendered template back to the file the user wrote.

Jinja drops the lines of a false `{% if %}` and repeats those of a `{% for %}`, so a YAML error at
rendered line 40 may sit at line 52 of the file. Aligning the two texts line by line (and, within
a changed line, character by character) finds the user's line in every case that matters: text
that came through unchanged, or changed only where an expression was substituted. Whatever the
alignment, a translated position always lies inside the source text.

Lines are split where YAML splits them (`\r\n`, `\r`, `\n`, NEL, LS, PS), so line numbers from
the YAML parser and from this map count the same lines.
"""

from __future__ import annotations

import difflib
import re
from functools import cached_property

from schemactl.errors import Location

# YAML's line breaks: the parser's marks count lines by exactly these.
_YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def yaml_lines(text: str) -> list[str]:
    """`text` split into lines as YAML counts them; text ending in a break ends in an empty line,
    where the parser puts marks at the end of the input."""
    return _YAML_LINE_BREAK.split(text)


class LineMap:
    """Translate 1-based (line, column) positions from rendered text to source text."""

    def __init__(self, source: str, rendered: str):
        self.source_lines = yaml_lines(source)
        self.rendered_lines = yaml_lines(rendered)
        self.identical = source == rendered

    @cached_property
    def _blocks(self) -> list[tuple[str, int, int, int, int]]:
        """difflib's opcodes: (tag, source start, source end, rendered start, rendered end)."""
        matcher = difflib.SequenceMatcher(
            None, self.source_lines, self.rendered_lines, autojunk=False
        )
        return matcher.get_opcodes()

    @cached_property
    def _line_to_source(self) -> dict[int, int]:
        """Rendered line index -> source line index, for lines that align (0-based)."""
        mapping: dict[int, int] = {}
        for tag, s1, s2, r1, r2 in self._blocks:
            if tag == "equal" or (tag == "replace" and s2 - s1 == r2 - r1):
                for offset in range(r2 - r1):
                    mapping[r1 + offset] = s1 + offset
        return mapping

    def to_source(self, line: int, column: int) -> tuple[int, int]:
        """The source position of rendered (line, column), always a position inside the source."""
        if self.identical:
            return line, column
        if line > len(self.rendered_lines):  # past the end of the input: the end of the source
            return len(self.source_lines), len(self.source_lines[-1]) + 1
        rendered_index = max(line - 1, 0)
        source_index = self._line_to_source.get(rendered_index)
        if source_index is None:
            source_index = self._closest_source_line(rendered_index)
        if source_index is None:
            source_index = self._same_block_line(rendered_index)
        source_line = self.source_lines[source_index]
        rendered_line = self.rendered_lines[rendered_index]
        if source_line != rendered_line:
            column = _align_column(source_line, rendered_line, column)
        return source_index + 1, min(max(column, 1), len(source_line) + 1)

    def _same_block_line(self, rendered_index: int) -> int:
        """For a line nothing resembles: the source line at the same offset in the run of lines
        the template rewrote (lines a loop or a multi-line value added count as its last line)."""
        for _tag, s1, s2, r1, r2 in self._blocks:
            if r1 <= rendered_index < r2:
                if s2 > s1:
                    return s1 + min(rendered_index - r1, s2 - s1 - 1)
                return max(s1 - 1, 0)  # inserted lines: what came just before made them
        return len(self.source_lines) - 1

    @cached_property
    def _expression_patterns(self) -> list[tuple[int, re.Pattern[str]]]:
        """Source lines holding `{{ … }}`, as patterns in which each expression matches anything."""
        patterns = []
        for index, line in enumerate(self.source_lines):
            if "{{" not in line:
                continue
            pieces = re.split(r"\{\{.*?\}\}", line)
            patterns.append((index, re.compile(".*?".join(re.escape(p) for p in pieces) + "$")))
        return patterns

    def _closest_source_line(self, rendered_index: int) -> int | None:
        """For lines a loop repeated or an expression rewrote: the source line that made them."""
        if rendered_index >= len(self.rendered_lines):
            return None
        target = self.rendered_lines[rendered_index]
        for index, pattern in self._expression_patterns:
            if pattern.match(target):
                return index
        best, best_ratio = None, 0.6  # below this, a guess would mislead more than help
        for index, candidate in enumerate(self.source_lines):
            matcher = difflib.SequenceMatcher(None, candidate, target, autojunk=False)
            if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio > best_ratio:
                best, best_ratio = index, ratio
        return best

    def location(self, location: Location) -> Location:
        line, column = self.to_source(location.line, location.column)
        return Location(location.file, line, column)


def _align_column(source_line: str, rendered_line: str, column: int) -> int:
    """Column in the source line of the character at `column` of the rendered line."""
    position = column - 1
    matcher = difflib.SequenceMatcher(None, source_line, rendered_line, autojunk=False)
    for tag, s1, _s2, r1, r2 in matcher.get_opcodes():
        if r1 <= position < r2 or (position == r2 == len(rendered_line)):
            if tag == "equal":
                return s1 + (position - r1) + 1
            return s1 + 1  # inside substituted text: point at the expression that produced it
    return column
